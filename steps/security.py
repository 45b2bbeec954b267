"""Steps of the security review (SEC-*)."""

from __future__ import annotations

import re
from collections.abc import Callable

from pytest_bdd import given, parsers, then, when

from checks.security.access_check import read_probe
from checks.security.auth_probes import (
    SecuredCommand,
    external_authenticate_as,
    external_authenticate_without_challenge,
    internal_auth_all_versions,
    national_external_keys,
    other_key_of_df,
    reload_pin_command,
    replay,
    sacrificial_key,
    secured_command,
    secured_record_update,
    send_secured,
    tampered,
    wrong_cryptogram,
)
from checks.security.firewall import foreign_challenge_in_home_app, secrets_sent_behind_firewall
from checks.security.key_diagnosis import check_key, survey_keys
from checks.security.lifecycle_probes import blocked_write_target
from checks.security.pin_admin import PinProof, counter_full_proof, prove_pin_replacement, temporary_pin, wrong_pin
from checks.security.pin_state import (
    blocked_pin_refusals,
    change_pin_at_last_try,
    malformed_change_pin,
    pin_state_after_change,
    pin_state_after_reload,
)
from checks.verdicts import Inconclusive
from checks.wording import bilingual, sw_zh
from checks.writeback import flip_value, refusal_left_record, refused_record_write, roundtrip_problem, update_record_and_restore
from ssc.profile.expectation import expect_sw
from steps.context import SW_LABEL, ScenarioContext, status_word, sw_expected, sw_text
from terminal.channel import Response


@given("以正确的 PIN 校验，使错误计数器为满值")
def pin_counter_full(ctx: ScenarioContext) -> None:
    response = ctx.card.verify_pin(ctx.pin, check=False)
    assert response.ok, (
        f"本次检测给定的 PIN 被拒绝（{sw_zh(response)}）；请以 --pin 给出卡片的 PIN，或先解锁 PIN / "
        f"the PIN given for this run was refused ({sw_text(ctx.profile, response.sw)}); give the card's PIN with --pin, or unblock it first"
    )


def _failed_steps(ctx: ScenarioContext, proof: PinProof) -> list[str]:
    """The steps of a PIN proof that did not answer as required, Chinese first, each with its APDUs."""
    return [
        bilingual(
            f"{s.what_zh or s.what}：预期 {s.expected_zh or s.expected}，实际 {sw_zh(s.response)}",
            f"{s.what}: expected {s.expected}, got {s.response.sw:04X}",
        )
        + f"；APDU：{ctx.apdu_text(s.response)}"
        for s in proof.steps
        if not s.ok
    ]


@when("校验错误的 PIN")
def verify_wrong_pin(ctx: ScenarioContext) -> None:
    ctx.response = ctx.card.verify_pin(wrong_pin(ctx.pin), check=False)


@when("以正确的 PIN 校验")
def verify_right_pin(ctx: ScenarioContext) -> None:
    ctx.response = ctx.card.verify_pin(ctx.pin, check=False)


@then(parsers.re(rf"状态字为 {SW_LABEL}，x 为最大次数减 (?P<used>\d+)$"))
def tries_left(ctx: ScenarioContext, label: str, used: str) -> None:
    tries = ctx.profile.security.pin.tries
    expected = status_word(ctx.profile, label).with_value(tries - int(used))
    actual = ctx.last_response().sw
    ctx.observe(
        f"PIN try counter after {used} wrong PIN(s)", sw_text(ctx.profile, actual), f"{expected:04X} ({tries - int(used)} left of {tries})"
    )
    assert actual == expected, (
        f"最多 {tries} 次、已错 {used} 次：{sw_expected(ctx.profile, expected, actual)}"
        f" / after {used} wrong PIN(s) of {tries}; APDU：{ctx.apdu_text()}"
    )


@when("连续校验错误的 PIN 直至剩余次数为 0")
def exhaust_pin(ctx: ScenarioContext) -> None:
    failed = ctx.profile.sw["verification_failed"]
    tries = ctx.profile.security.pin.tries
    for used in range(1, tries + 1):
        response = ctx.card.verify_pin(wrong_pin(ctx.pin), check=False)
        expected = failed.with_value(tries - used)
        ctx.observe(f"wrong PIN {used} of {tries}", sw_text(ctx.profile, response.sw), f"{expected:04X}")
        assert response.sw == expected, (
            f"第 {used} 次错误 PIN（共 {tries} 次）：{sw_expected(ctx.profile, expected, response.sw)} / wrong PIN {used} of {tries}；APDU：{ctx.apdu_text(response)}"
        )


@when("以 PUK 认证后发送解锁 PIN 命令")
def unblock_with_puk(ctx: ScenarioContext) -> None:
    psam = ctx.session.psam_for(ctx.card.identity().region)
    response = ctx.card.unblock_pin(psam, check=False)
    assert response.ok, (
        f"PUK 认证后解锁 PIN 失败：实际 {sw_text(ctx.profile, response.sw)} / UNBLOCK PIN after PUK authentication failed；APDU：{ctx.apdu_text(response)}"
    )


# -- the home terminal's PSAM (every security feature's Background) ------------------------------


@given(parsers.re(r"(?P<purpose>访问控制检查|PIN 管理|认证|密钥检查|安全报文|防火墙检查|生命周期检查)使用发卡地终端的 PSAM$"))
def security_home_psam(ctx: ScenarioContext, purpose: str) -> None:
    ctx.psam = ctx.session.psam_for(ctx.card.identity().region)


def _fail_text(ctx: ScenarioContext, response: Response) -> str:
    return f"{sw_text(ctx.profile, response.sw)}；APDU：{ctx.apdu_text(response)}"


# -- SEC-PIN-2: CHANGE PIN -------------------------------------------------------------------------


_REPLACEMENT_COMMANDS = {"修改 PIN": "change_pin", "重装 PIN": "reload_pin"}


@when(
    parsers.re(
        r"先校验一次错误的 PIN，再以(?P<command>修改 PIN|重装 PIN) 将 PIN 设为一个临时 PIN，然后分别以原 PIN 与临时 PIN 校验，最后恢复本次检测给定的 PIN$"
    )
)
def replace_pin_and_prove(ctx: ScenarioContext, command: str) -> None:
    ctx.security.pin_proof = prove_pin_replacement(ctx.card, ctx.psam, ctx.pin, ctx.initial_pin, _REPLACEMENT_COMMANDS[command])


@then("命令返回 9000（成功执行），此后原 PIN 被拒绝且剩余次数为最大次数减 1，临时 PIN 校验通过")
def pin_replaced(ctx: ScenarioContext) -> None:
    proof = ctx.security.pin_proof
    bad = _failed_steps(ctx, proof)
    assert not bad, "PIN 并未如命令应答所称被替换 / the PIN was not replaced as the command's answer claims: " + " | ".join(bad)


# -- PIN state and counter around CHANGE / RELOAD PIN (checks.security.pin_state) -------------------
_PIN_STATE_PROBES = {
    "复位后读受 PIN 保护的记录，在 SSSE 中修改 PIN 后再到 ADF 中读，最后恢复本次检测给定的 PIN": pin_state_after_change,
    "复位后重装 PIN，不校验即读受 PIN 保护的记录，再校验重装的 PIN，最后恢复本次检测给定的 PIN": pin_state_after_reload,
    "发送缺少原 PIN 的与缺少新 PIN 的修改 PIN 命令": malformed_change_pin,
    "连续校验错误的 PIN 直至只剩一次尝试，再以正确的原 PIN 修改 PIN，然后校验新 PIN，最后恢复本次检测给定的 PIN": change_pin_at_last_try,
    "使 PIN 锁定后发送格式错误的校验、缺少新 PIN 的修改 PIN 与以正确原 PIN 的修改 PIN，然后以 PUK 认证后解锁 PIN": blocked_pin_refusals,
}


@when(parsers.re("(?P<probe>" + "|".join(map(re.escape, _PIN_STATE_PROBES)) + ")$"))
def pin_state_probe(ctx: ScenarioContext, probe: str) -> None:
    ctx.security.pin_proof = _PIN_STATE_PROBES[probe](ctx.card, ctx.psam, ctx.pin, ctx.initial_pin)


@then("每条命令的结果都与预期一致")
def pin_probe_steps_ok(ctx: ScenarioContext) -> None:
    proof = ctx.security.pin_proof
    bad = _failed_steps(ctx, proof)
    assert not bad, " | ".join(bad)


@then("卡片的 PIN 已恢复为本次检测给定的 PIN")
def pin_given_back(ctx: ScenarioContext) -> None:
    assert ctx.security.pin_proof.restored, ctx.security.pin_proof.problems[-1]


@then("错误计数器为满值：校验错误的 PIN 后剩余次数为最大次数减 1，之后以本次检测给定的 PIN 校验通过")
def pin_counter_is_full(ctx: ScenarioContext) -> None:
    proof = counter_full_proof(ctx.card, ctx.pin)
    bad = _failed_steps(ctx, proof)
    assert not bad, "PIN 错误计数器不是满值 / the PIN try counter is not full: " + " | ".join(bad)


@then("以本次检测给定的 PIN 校验通过")
def given_pin_verifies(ctx: ScenarioContext) -> None:
    response = ctx.card.verify_pin(ctx.pin, check=False)
    assert response.ok, (
        f"以本次检测给定的 PIN 校验返回 {_fail_text(ctx, response)} / VERIFY with the PIN given for this run answered {_fail_text(ctx, response)}"
    )


@when("请求将 PIN 修改为个人化时的初始 PIN")
def change_to_initial(ctx: ScenarioContext) -> None:
    initial = ctx.initial_pin
    ctx.response = ctx.card.change_pin(ctx.pin, initial, check=False)
    if ctx.response.ok and ctx.pin != initial:  # wrongly accepted: give the card its PIN back first
        ctx.card.change_pin(initial, ctx.pin, check=False)


# -- SEC-PIN-3: RELOAD / UNBLOCK PIN ---------------------------------------------------------------


def _pin_command(ctx: ScenarioContext, command: str, *, puk: bool, mac_ok: bool, new_pin: str | None = None) -> None:
    """From the MF (no key state), optionally EXTERNAL AUTHENTICATE with the PUK, then send the
    MAC-protected `command` with a valid or an altered MAC."""
    card = ctx.card
    card.select_mf(check=True)
    puk_name = ctx.profile.command_key(command).name
    if puk:
        card.external_authenticate(puk_name, 0, ctx.psam, check=True)
    if command == "reload_pin":
        assert new_pin is not None
        secured = reload_pin_command(card, ctx.psam, new_pin, puk_name=puk_name)
    else:
        secured = secured_command(card, ctx.psam, command, puk_name)
    ctx.response = send_secured(card, secured if mac_ok else tampered(secured))
    if command == "reload_pin" and new_pin != ctx.pin and ctx.response.ok:  # wrongly reloaded: give the PIN back first
        card.reload_pin(ctx.psam, ctx.pin, check=False)


@when("未经 PUK 认证发送携带有效 MAC 的解锁 PIN 命令")
def unblock_without_puk(ctx: ScenarioContext) -> None:
    _pin_command(ctx, "unblock_pin", puk=False, mac_ok=True)


@when("PUK 认证后发送 MAC 错误的解锁 PIN 命令")
def unblock_bad_mac(ctx: ScenarioContext) -> None:
    _pin_command(ctx, "unblock_pin", puk=True, mac_ok=False)


@when("PUK 认证后发送 MAC 正确的解锁 PIN 命令")
def unblock_good_mac(ctx: ScenarioContext) -> None:
    _pin_command(ctx, "unblock_pin", puk=True, mac_ok=True)


@when("未经 PUK 认证发送携带有效 MAC 的重装 PIN 命令，新 PIN 为一个临时 PIN")
def reload_without_puk(ctx: ScenarioContext) -> None:
    _pin_command(ctx, "reload_pin", puk=False, mac_ok=True, new_pin=temporary_pin(ctx.pin, ctx.initial_pin))


@when("PUK 认证后发送 MAC 错误的重装 PIN 命令，新 PIN 为一个临时 PIN")
def reload_bad_mac(ctx: ScenarioContext) -> None:
    _pin_command(ctx, "reload_pin", puk=True, mac_ok=False, new_pin=temporary_pin(ctx.pin, ctx.initial_pin))


# -- SEC-AUTH-1/2/3, SEC-KEY-1/2: authentication and keys ------------------------------------------


@when("以 IRK 的每个密钥版本对卡片进行内部认证")
def internal_auth_each_version(ctx: ScenarioContext) -> None:
    ctx.security.internal = internal_auth_all_versions(ctx.card, ctx.psam)


def _internal_failures(ctx: ScenarioContext) -> list[str]:
    irk = ctx.profile.internal_key()
    failures = []
    for version, result in zip(irk.versions, ctx.security.internal):
        if not result.verified:
            diagnosis = check_key(ctx.card, ctx.psam, irk.name, version).summary
            failures.append(
                f"v{version:02X}：卡 card {result.card_result.hex().upper() or _fail_text(ctx, result.response)}，"
                f"PSAM {result.expected.hex().upper()} — {diagnosis}"
            )
    return failures


@then("每个版本的认证结果都与 PSAM 以三级分散的 IRK 计算的结果一致")
def internal_auth_each_verified(ctx: ScenarioContext) -> None:
    failures = _internal_failures(ctx)
    assert not failures, (
        "内部认证结果与三级分散的 IRK 不一致 / INTERNAL AUTHENTICATE not verified under the 3-level diversified IRK: " + "; ".join(failures)
    )


@when("以同一组数据对 IRK 的每个密钥版本进行内部认证")
def internal_auth_same_data(ctx: ScenarioContext) -> None:
    ctx.security.internal = internal_auth_all_versions(ctx.card, ctx.psam)


@then("每个版本的结果都验证通过且互不相同")
def internal_versions_distinct(ctx: ScenarioContext) -> None:
    failures = _internal_failures(ctx)
    assert not failures, "IRK 有版本验证不通过 / an IRK version does not verify: " + "; ".join(failures)
    results = [r.card_result for r in ctx.security.internal]
    versions = ", ".join(f"{v:02X}" for v in ctx.profile.internal_key().versions)
    shown = ", ".join(r.hex().upper() for r in results)
    assert len(set(results)) == len(results), bilingual(
        f"IRK 各版本 {versions} 对同一组 F 与 D 给出的结果为 {shown}：各版本并非不同的密钥",
        f"IRK versions {versions} gave results {shown} for the same F and D: the versions are not distinct keys",
    )


def _authenticate_all(ctx: ScenarioContext, versions: str) -> None:
    failures = []
    for key in national_external_keys(ctx.profile):
        for version in key.versions if versions == "all" else (0,):
            response = ctx.card.external_authenticate(key.name, version, ctx.psam, check=False)
            if not response.ok:
                failures.append(f"{key.name} v{version:02X}: {_fail_text(ctx, response)}")
    ctx.security.auth_failures = failures


@when("以每个全国外部认证密钥的当前版本进行外部认证")
def authenticate_every_key(ctx: ScenarioContext) -> None:
    _authenticate_all(ctx, "active")


@when("以每个全国外部认证密钥的每个版本进行外部认证")
def authenticate_every_version(ctx: ScenarioContext) -> None:
    _authenticate_all(ctx, "all")


@then(parsers.re(r"每个密钥(?:版本)?的外部认证都成功$"))
def every_authentication_ok(ctx: ScenarioContext) -> None:
    failures = ctx.security.auth_failures
    assert not failures, (
        f"以全国密钥进行的外部认证有 {len(failures)} 次失败（SEC-KEY-1 指出偏离的分散层级） / "
        f"{len(failures)} EXTERNAL AUTHENTICATE(s) with national keys failed (SEC-KEY-1 names the diversification level): "
        + " | ".join(failures)
    )


@when(parsers.parse('以错误的密文对 "{key}" 进行外部认证'))
def wrong_cryptogram_for(ctx: ScenarioContext, key: str) -> None:
    ctx.card.external_authenticate(key, 0, ctx.psam, check=True)  # the counter starts full
    ctx.response = wrong_cryptogram(ctx.card, ctx.psam, key)
    ctx.security.key = key


@then("外部认证返回 63Cx（认证失败，还剩x次尝试机会），剩余次数为该密钥的最大次数减 1")
def key_tries_left(ctx: ScenarioContext) -> None:
    key = ctx.profile.key(ctx.security.key)
    expected = ctx.profile.sw["verification_failed"].with_value(key.tries - 1)
    ctx.observe(f"try counter of {key.name} after one wrong cryptogram", sw_text(ctx.profile, ctx.last_response().sw), f"{expected:04X}")
    actual = ctx.last_response().sw
    assert actual == expected, (
        f"以错误密文认证 {key.name}（最多 {key.tries} 次）：预期 {expected:04X}（{ctx.profile.sw.names(expected)[0]}），实际 {_fail_text(ctx, ctx.last_response())} / a wrong cryptogram must give {expected:04X}"
    )


@given(parsers.parse('以正确的密文对 "{key}" 外部认证，使该密钥的错误计数器为满值'))
def key_counter_full(ctx: ScenarioContext, key: str) -> None:
    """Precondition of the scenarios that count a key's tries: a successful authentication restores
    the counter (PROFILE §6.5), so the count starts from the maximum whatever ran before."""
    response = ctx.card.external_authenticate(key, 0, ctx.psam, check=False)
    if not response.ok:
        raise Inconclusive(
            f"未能使 {key} 的错误计数器为满值：外部认证返回 {_fail_text(ctx, response)} / "
            f"the try counter of {key} could not be filled: EXTERNAL AUTHENTICATE answered {_fail_text(ctx, response)}"
        )


@when(parsers.parse('以正确的密文对 "{key}" 进行外部认证'))
def right_cryptogram_for(ctx: ScenarioContext, key: str) -> None:
    ctx.response = ctx.card.external_authenticate(key, 0, ctx.psam, check=False)


@when(parsers.parse('未取随机数即对 "{key}" 进行外部认证'))
def authenticate_without_challenge(ctx: ScenarioContext, key: str) -> None:
    ctx.response = external_authenticate_without_challenge(ctx.card, key)


@when("原样重放上一条外部认证命令")
def replay_external_auth(ctx: ScenarioContext) -> None:
    ctx.response = replay(ctx.card, ctx.last_response())


@when("逐个检查每个全国密钥当前版本的分散级")
def check_every_key(ctx: ScenarioContext) -> None:
    keys = [ctx.profile.internal_key(), *national_external_keys(ctx.profile)]
    ctx.security.key_survey = survey_keys(ctx.card, ctx.psam, [k.name for k in keys])


@then("每个密钥都与三级分散的结果一致")
def every_key_diversified(ctx: ScenarioContext) -> None:
    survey = ctx.security.key_survey
    bad = [r.summary for r in survey.reports if not r.ok]
    assert not bad, (
        f"{len(bad)} 个全国密钥未按 根密钥→省→市→卡片 分散 / {len(bad)} national key(s) not diversified root→province→city→card: "
        + " | ".join(bad)
    )
    if survey.not_checked:
        raise Inconclusive(
            "未能检查的密钥（尝试次数保护保留了其最后几次尝试机会） / keys not checked (the try guard kept their last tries): "
            + "; ".join(f"{name}: {why}" for name, why in survey.not_checked)
        )


@when(parsers.parse('以 "{key}" 的每个版本计算的密文冒充其他版本进行外部认证'))
def cross_version_cryptograms(ctx: ScenarioContext, key: str) -> None:
    versions = ctx.profile.key(key).versions
    failed = ctx.profile.sw["verification_failed"]
    problems = []
    for made in versions:
        for claimed in versions:
            if made == claimed:
                continue
            response = external_authenticate_as(ctx.card, ctx.psam, key, made, claimed)
            if not failed.matches(response.sw):
                problems.append(
                    f"以 v{made:02X} 计算、冒充 v{claimed:02X}：预期 {failed.label}，实际 {_fail_text(ctx, response)} / expected {failed.pattern}"
                )
            restored = ctx.card.external_authenticate(key, claimed, ctx.psam, check=False)
            if not restored.ok:
                problems.append(
                    f"此后 v{claimed:02X} 不能再认证通过：{_fail_text(ctx, restored)} / "
                    f"v{claimed:02X} no longer authenticates afterwards: {_fail_text(ctx, restored)}"
                )
    ctx.security.version_problems = problems


@then("每次冒充都返回 63Cx（认证失败，还剩x次尝试机会），且之后以正确版本认证恢复计数器")
def versions_distinct(ctx: ScenarioContext) -> None:
    problems = ctx.security.version_problems
    assert not problems, "密钥的各版本并非互不相同 / key versions are not distinct: " + " | ".join(problems)


@when("对一个不用于任何访问规则的全国密钥的最后一个版本连续以错误密文认证，直至剩余次数为 0")
def block_sacrificial_key(ctx: ScenarioContext) -> None:
    key, version = sacrificial_key(ctx.profile)
    ctx.security.blocked = (key, version)
    first = ctx.card.external_authenticate(key.name, version, ctx.psam, check=False)
    assert first.ok, (
        f"{key.name} v{version:02X} 在锁定检查之前必须能认证通过：{_fail_text(ctx, first)} / "
        f"{key.name} v{version:02X} must authenticate before the blocking check: {_fail_text(ctx, first)}"
    )
    failed = ctx.profile.sw["verification_failed"]
    for used in range(1, key.tries + 1):
        response = wrong_cryptogram(ctx.card, ctx.psam, key.name, version)
        expected = failed.with_value(key.tries - used)
        assert response.sw == expected, (
            f"{key.name} v{version:02X} 第 {used} 次错误密文（共 {key.tries} 次）：预期 {expected:04X}（{ctx.profile.sw.names(expected)[0]}），实际 {_fail_text(ctx, response)} / wrong cryptogram {used} of {key.tries}"
        )


@then("该密钥版本以正确密文认证返回 6983（认证方法锁定）")
def blocked_key_refuses(ctx: ScenarioContext) -> None:
    key, version = ctx.security.blocked
    response = ctx.card.external_authenticate(key.name, version, ctx.psam, check=False)
    word = ctx.profile.sw["method_blocked"]
    assert word.matches(response.sw), (
        f"{key.name} v{version:02X} 连续 {key.tries} 次错误密文后，正确密文亦应返回 {word.label}，实际 {_fail_text(ctx, response)} / expected {word.pattern} ({word.en}) even for a right one"
    )


@then("该密钥的其他版本仍能通过外部认证")
def other_versions_usable(ctx: ScenarioContext) -> None:
    key, blocked = ctx.security.blocked
    for version in key.versions:
        if version != blocked:
            response = ctx.card.external_authenticate(key.name, version, ctx.psam, check=False)
            assert response.ok, (
                f"{key.name} v{blocked:02X} 密钥锁定后 v{version:02X} 应仍可用（每个版本有各自的错误计数器）：{_fail_text(ctx, response)} / "
                f"blocking {key.name} v{blocked:02X} must leave v{version:02X} usable (each version has its own counter): {_fail_text(ctx, response)}"
            )


# -- SEC-SM-1: secure messaging --------------------------------------------------------------------


@when(parsers.parse('以有效 MAC 将 "{path}" 的第一条记录安全更新为不同的值并读回，再以有效 MAC 写回原值'))
def secure_update_to_replay(ctx: ScenarioContext, path: str) -> None:
    """The round trip of `secure_update_roundtrip`, keeping the command that wrote the *different*
    value for the replay steps: replayed after the write-back, an executed replay changes the record."""
    number = _first_record_number(ctx, path)
    sent: list[Response] = []

    def write(record: bytes) -> Response:
        response = ctx.card.secure_update_record(path, record, ctx.psam, number=number, check=False)
        sent.append(response)
        return response

    ctx.security.writeback = update_record_and_restore(ctx.card, path, number, flip_value, write=write)
    ctx.security.secured = sent[0]
    ctx.security.replay_target = (path, number)


def _first_record_number(ctx: ScenarioContext, path: str) -> int:
    return min(r.number for r in ctx.profile.file(path).records)


@when(parsers.parse('以有效 MAC 将 "{path}" 的第一条记录安全更新为不同的值后读回，再以有效 MAC 写回原值'))
def secure_update_roundtrip(ctx: ScenarioContext, path: str) -> None:
    number = _first_record_number(ctx, path)
    ctx.security.writeback = update_record_and_restore(
        ctx.card,
        path,
        number,
        flip_value,
        write=lambda record: ctx.card.secure_update_record(path, record, ctx.psam, number=number, check=False),
    )


@then("安全更新与写回均成功，读回的数据先为新值、后为原值")
def secure_roundtrip_ok(ctx: ScenarioContext) -> None:
    problem = roundtrip_problem(ctx.security.writeback, lambda r: _fail_text(ctx, r), secure=True)
    assert problem is None, problem


def _refused_secure_update(ctx: ScenarioContext, path: str, make: Callable[[bytes], SecuredCommand]) -> None:
    number = _first_record_number(ctx, path)
    result = refused_record_write(
        ctx.card,
        path,
        number,
        lambda record: send_secured(ctx.card, make(record)),
        lambda record: ctx.card.secure_update_record(path, record, ctx.psam, number=number, check=False),
    )
    ctx.security.refused_write = (path, result)
    ctx.response = result.write


@when(parsers.parse('以 MAC 错误的命令将 "{path}" 的第一条记录安全更新为不同的值'))
def secure_update_bad_mac(ctx: ScenarioContext, path: str) -> None:
    _refused_secure_update(ctx, path, lambda record: tampered(secured_record_update(ctx.card, ctx.psam, path, record)))


@when(parsers.parse('以同一 DF 中另一密钥计算的 MAC 将 "{path}" 的第一条记录安全更新为不同的值'))
def secure_update_other_key(ctx: ScenarioContext, path: str) -> None:
    other = other_key_of_df(ctx.profile, path, "update")
    _refused_secure_update(ctx, path, lambda record: secured_record_update(ctx.card, ctx.psam, path, record, other.name))


@then("读回的记录仍为原值")
def refused_write_left_record(ctx: ScenarioContext) -> None:
    path, result = ctx.security.refused_write
    restored = "" if result.restore is None else f"; written back: {_fail_text(ctx, result.restore)}"
    restored_zh = "" if result.restore is None else f"；已写回：{_fail_text(ctx, result.restore)}"
    assert result.unchanged, bilingual(
        f"以 {result.written.hex().upper()} 更新 {path}，卡应答 {sw_zh(result.write)}，但记录现为 "
        f"{result.read_after.data.hex().upper()} {sw_zh(result.read_after)}，而非原值 {result.original.hex().upper()}{restored_zh}",
        f"the card answered {_fail_text(ctx, result.write)} to the update of {path} with {result.written.hex().upper()}, "
        f"but the record now reads {result.read_after.data.hex().upper()} {result.read_after.describe()} "
        f"instead of {result.original.hex().upper()}{restored}",
    )


def _replay_secure_update(ctx: ScenarioContext) -> None:
    """Replay the command that wrote the different value, then read the record back (and write the
    original back with a fresh MAC if the replay was executed)."""
    path, number = ctx.security.replay_target
    wb = ctx.security.writeback
    response = replay(ctx.card, ctx.security.secured)
    ctx.security.refused_write = (
        path,
        refusal_left_record(
            ctx.card,
            path,
            number,
            wb.original,
            wb.written,
            response,
            lambda record: ctx.card.secure_update_record(path, record, ctx.psam, number=number, check=False),
        ),
    )
    ctx.response = response


@when("原样重放更新为不同值的那条安全更新命令")
def replay_secure_update(ctx: ScenarioContext) -> None:
    _replay_secure_update(ctx)


@when("取新的随机数后重放更新为不同值的那条安全更新命令")
def replay_secure_update_new_challenge(ctx: ScenarioContext) -> None:
    ctx.card.get_challenge(ctx.profile.security.challenge_mac, check=True)
    _replay_secure_update(ctx)


# -- SEC-FW-1: firewall ----------------------------------------------------------------------------


@when(parsers.parse('在 SSSE 中以与 PSE 密钥标识相同的密钥 "{key}" 外部认证后，选择 "{df}"'))
def auth_then_cross(ctx: ScenarioContext, key: str, df: str) -> None:
    ssse_key = ctx.profile.key(key)
    twins = [k.name for k in ctx.profile.df_of(df).keys.values() if k.id == ssse_key.id]
    assert twins, f"{df} has no key with id {ssse_key.id:02X} like {key}: pick another SSSE key for this check"
    ctx.card.select_mf(check=True)
    ctx.card.external_authenticate(key, 0, ctx.psam, check=True)
    ctx.card.select_path(df, check=True)


@then(parsers.re(rf'读取 "(?P<path>[^"]+)" 被拒绝，状态字为 {SW_LABEL}$'))
def read_refused(ctx: ScenarioContext, path: str, label: str) -> None:
    response = read_probe(ctx.card, path)
    word = status_word(ctx.profile, label)
    assert word.matches(response.sw), (
        f"读取 {path}（访问规则 / rule {ctx.profile.file(path).rule('read')}）应被拒绝：{sw_expected(ctx.profile, word, response.sw)}；"
        f"APDU：{ctx.apdu_text(response)}"
    )


@then(parsers.re(rf'更新 "(?P<path>[^"]+)" 为不同的值被拒绝，状态字为 {SW_LABEL}，读回仍为原值$'))
def update_refused(ctx: ScenarioContext, path: str, label: str) -> None:
    """A refused update proves nothing until the record is read back: the write carries a value
    different from the record, and the read-back uses only what the owning application grants
    freely (no secret is presented across the firewall)."""
    number = _first_record_number(ctx, path)
    read_rule = ctx.profile.file(path).rule("read")
    if read_rule is None or not read_rule.is_free:
        raise Inconclusive(
            f"{path} 不可自由读：不出示另一应用的密钥就无法读回被拒绝的更新 / "
            f"{path} is not read free: its refused update cannot be read back without a secret of the other application"
        )
    result = refused_record_write(
        ctx.card,
        path,
        number,
        lambda record: ctx.card.update_record(path, record, number=number, check=False),
        lambda record: _restore_in_owner(ctx, path, number, record),
    )
    word = status_word(ctx.profile, label)
    assert word.matches(result.write.sw), (
        f"以不同的值更新 {path}（访问规则 / rule {ctx.profile.file(path).rule('update')}）应被拒绝：{sw_expected(ctx.profile, word, result.write.sw)}；"
        f"APDU：{ctx.apdu_text(result.write)}"
    )
    restored = (
        "; NOT WRITTEN BACK (no right of the owning application)"
        if result.restore is None
        else f"; written back: {_fail_text(ctx, result.restore)}"
    )
    restored_zh = "；未写回（没有所属应用的权限）" if result.restore is None else f"；已写回：{_fail_text(ctx, result.restore)}"
    assert result.unchanged, bilingual(
        f"卡拒绝了以 {result.written.hex().upper()} 更新 {path}（{sw_zh(result.write)}），但记录现为 "
        f"{result.read_after.data.hex().upper()} {sw_zh(result.read_after)}，而非原值 {result.original.hex().upper()}{restored_zh}",
        f"the card refused the update of {path} with {result.written.hex().upper()} ({_fail_text(ctx, result.write)}), but the record "
        f"now reads {result.read_after.data.hex().upper()} {result.read_after.describe()} instead of {result.original.hex().upper()}{restored}",
    )


def _restore_in_owner(ctx: ScenarioContext, path: str, number: int, record: bytes) -> Response | None:
    """Write `record` back with the owning application's own right, if this terminal can obtain it
    (a bank PSAM's keys are not this terminal's: then the card is left as the faulty write made it)."""
    from terminal.grants import grant, terminal_can_grant

    if not terminal_can_grant(ctx.profile, path, "update"):
        return None
    grant(ctx.card, path, "update", ctx.psam, ctx.pin)
    return ctx.card.update_record(path, record, number=number, check=False)


@when(parsers.parse('在 SSSE 中校验 PIN 后选择 "{df}"'))
def pin_then_cross(ctx: ScenarioContext, df: str) -> None:
    ctx.card.select_path(ctx.profile.security.pin.df, check=True)
    ctx.card.verify_pin(ctx.pin, check=True)
    ctx.card.select_path(df, check=True)


@when(parsers.parse('在 "{df}" 中取随机数，回到 SSSE 后以 "{key}" 对该随机数计算的正确密文外部认证'))
def foreign_challenge(ctx: ScenarioContext, df: str, key: str) -> None:
    ctx.response = foreign_challenge_in_home_app(ctx.card, ctx.psam, df, key)


@when("依次执行以上各项防火墙检查")
def all_firewall_checks(ctx: ScenarioContext) -> None:
    ctx.security.firewall_start = len(ctx.session.dut.recorder.entries)
    auth_then_cross(ctx, "MK", "PSE/ADF1")
    read_probe(ctx.card, "PSE/ADF1/EF02")
    pin_then_cross(ctx, "PSE/ADF1")
    read_probe(ctx.card, "PSE/ADF1/EF02")
    foreign_challenge(ctx, "PSE/ADF1", "UKSSSE")
    pin_round_trip(ctx, "PSE/ADF1")


@then("当前目录为 PSE 内的文件时，终端未发送任何携带 PIN 或密钥密文的命令")
def no_secret_across(ctx: ScenarioContext) -> None:
    leaks = secrets_sent_behind_firewall(ctx.profile, ctx.session.dut.recorder.entries[ctx.security.firewall_start :])
    assert not leaks, (
        "当前目录为防火墙之后的 DF 时发送了携带秘密的命令 / a secret-carrying command was sent while a firewalled DF was current: "
        + "; ".join(leaks)
    )


@when(parsers.parse('在 SSSE 中校验 PIN 后选择 "{df}"，再回到 SSSE'))
def pin_round_trip(ctx: ScenarioContext, df: str) -> None:
    ctx.card.select_mf(check=True)
    ctx.card.verify_pin(ctx.pin, check=True)
    ctx.card.select_path(df, check=True)
    ctx.card.select_path(ctx.profile.security.pin.df, check=True)


# -- SEC-LC-1: lifecycle ---------------------------------------------------------------------------


def _lifecycle(ctx: ScenarioContext, command: str, *, mac_ok: bool) -> Response:
    secured = secured_command(ctx.card, ctx.psam, command, ctx.profile.command_key(command).name)
    return send_secured(ctx.card, secured if mac_ok else tampered(secured))


@when("发送 MAC 错误的应用锁定命令")
def block_bad_mac(ctx: ScenarioContext) -> None:
    ctx.response = _lifecycle(ctx, "application_block", mac_ok=False)
    if ctx.response.ok:  # wrongly blocked: unblock before the verdict so later scenarios can run
        ctx.card.application_unblock(ctx.psam, check=False)


@when("发送 MAC 有效的应用锁定命令")
def block_application(ctx: ScenarioContext) -> None:
    target = blocked_write_target(ctx.profile)
    number = _first_record_number(ctx, target.path)
    ctx.card.identity()  # the MAC's diversification factors, read while the application still answers
    ctx.security.blocked_write = (target, number, ctx.card.read_record(target.path, number, check=True).data)
    ctx.response = _lifecycle(ctx, "application_block", mac_ok=True)


@when("发送 MAC 错误的应用解锁命令")
def unblock_bad_mac_app(ctx: ScenarioContext) -> None:
    ctx.response = _lifecycle(ctx, "application_unblock", mac_ok=False)


@when("发送 MAC 有效的应用解锁命令")
def unblock_application(ctx: ScenarioContext) -> None:
    ctx.response = _lifecycle(ctx, "application_unblock", mac_ok=True)


@when("在应用锁定状态下复位卡片")
def reset_blocked(ctx: ScenarioContext) -> None:
    ctx.card.reset()


@given(parsers.parse('应用未处于应用锁定状态："{path}" 可以读取'))
def application_not_blocked(ctx: ScenarioContext, path: str) -> None:
    """Precondition of the lifecycle scenarios: they start from a usable application, whatever an
    earlier scenario left behind (a blocked application is a state this check must not assume away)."""
    response = read_probe(ctx.card, path)
    if not response.ok:
        raise Inconclusive(
            f"本场景开始前应用应可用：读 {path} 返回 {_fail_text(ctx, response)} / "
            f"the application must be usable before this scenario: read of {path} answered {_fail_text(ctx, response)}"
        )


@then(parsers.parse('卡片未处于应用锁定或卡片锁定状态，"{path}" 可以读取'))
def application_usable(ctx: ScenarioContext, path: str) -> None:
    response = read_probe(ctx.card, path)
    assert response.ok, (
        f"应用应可用：读取 {path} 应返回 9000（成功执行），实际 {_fail_text(ctx, response)} / the application must be usable"
    )


@then(parsers.parse('金融应用不受应用锁定影响，"{path}" 可以读取'))
def pse_unaffected(ctx: ScenarioContext, path: str) -> None:
    response = read_probe(ctx.card, path)
    assert response.ok, (
        f"社会保障应用的应用锁定不应影响金融应用：读取 {path} 应返回 9000（成功执行），实际 {_fail_text(ctx, response)} / APPLICATION BLOCK must not block the PSE"
    )


_PROBE_FILE = "SSSE/EF05"  # a free-read file of the blocked application (the feature names it too)


def _blocked_probe(ctx: ScenarioContext, label: str) -> tuple[str, Response]:
    """One command inside the blocked application, by its label in the feature."""
    card = ctx.card
    probes = {
        "选择 SSSE": ("select", lambda: card.select_path(ctx.profile.security.pin.df, check=False)),
        "取随机数": ("get_challenge", lambda: card.get_challenge(ctx.profile.security.challenge_external_auth, check=False)),
        "读记录": ("read_record", lambda: read_probe(card, _PROBE_FILE)),
        "校验 PIN": ("verify", lambda: card.verify_pin(ctx.pin, check=False)),
        "内部认证": ("internal_authenticate", lambda: card.internal_authenticate(bytes(8), bytes(8), check=False)),
        "更新记录": ("update_record", lambda: _blocked_write(ctx)),
    }
    if label not in probes:
        raise ValueError(f"no probe named {label!r}; known: {', '.join(probes)}")
    command, run = probes[label]
    return command, run()


def _blocked_write(ctx: ScenarioContext) -> Response:
    """A write the application would accept if it were not blocked: a valid MAC under the file's
    SM key, carrying a value different from the record's (so an executed write shows on read-back)."""
    target, number, original = ctx.security.blocked_write
    response = ctx.card.secure_update_record(target.path, flip_value(original), ctx.psam, number=number, check=False)
    ctx.security.blocked_write_response = response
    return response


@then("应用锁定期间被拒绝的更新未生效：应用解锁后读回的记录仍为原值")
def blocked_write_left_record(ctx: ScenarioContext) -> None:
    target, number, original = ctx.security.blocked_write
    result = refusal_left_record(
        ctx.card,
        target.path,
        number,
        original,
        flip_value(original),
        ctx.security.blocked_write_response,
        lambda record: ctx.card.secure_update_record(target.path, record, ctx.psam, number=number, check=False),
    )
    restored = "" if result.restore is None else f"; written back: {_fail_text(ctx, result.restore)}"
    restored_zh = "" if result.restore is None else f"；已写回：{_fail_text(ctx, result.restore)}"
    assert result.unchanged, bilingual(
        f"应用锁定时以 MAC 保护、以 {result.written.hex().upper()} 更新 {target.path}，卡应答 {sw_zh(result.write)}，但应用解锁后记录为 "
        f"{result.read_after.data.hex().upper()} {sw_zh(result.read_after)}，而非原值 {result.original.hex().upper()}{restored_zh}",
        f"the blocked application answered {_fail_text(ctx, result.write)} to the MAC-protected update of {target.path} with "
        f"{result.written.hex().upper()}, but after unblocking the record reads {result.read_after.data.hex().upper()} "
        f"{result.read_after.describe()} instead of {result.original.hex().upper()}{restored}",
    )


@then(parsers.re(r"应用锁定状态下允许的命令仍被执行：(?P<labels>.+)$"))
def blocked_allows(ctx: ScenarioContext, labels: str) -> None:
    allowed = ctx.profile.security.lifecycle_blocked_allows
    for label in labels.split("、"):
        command, response = _blocked_probe(ctx, label)
        assert command in allowed, (
            f"{command} is not among the commands the profile allows in a blocked application ({', '.join(allowed)}): fix the feature"
        )
        assert response.ok, (
            f"应用锁定状态下{label}应仍被执行：预期 9000（成功执行），实际 {_fail_text(ctx, response)} / {command} must still work in a blocked application"
        )


@then(parsers.re(r"应用锁定状态下其他命令返回 6A81（功能不支持，应用已锁定）：(?P<labels>.+)$"))
def blocked_refuses(ctx: ScenarioContext, labels: str) -> None:
    allowed = ctx.profile.security.lifecycle_blocked_allows
    word = expect_sw(ctx.profile, "function_not_supported", "security.lifecycle")  # which commands a blocked application refuses
    for label in labels.split("、"):
        command, response = _blocked_probe(ctx, label)
        assert command not in allowed, f"{command} is allowed in a blocked application by the profile: fix the feature"
        assert word.matches(response.sw), (
            f"应用锁定状态下{label}：预期 {word.word.label}，实际 {_fail_text(ctx, response)} / {command} in a blocked application must answer {word}"
        )


# -- SEC-LC-1: card block (runs last: @ends_card_life) ---------------------------------------------


@when("发送 MAC 错误的卡片锁定命令")
def card_block_bad_mac(ctx: ScenarioContext) -> None:
    ctx.response = _lifecycle(ctx, "card_block", mac_ok=False)


@when("发送 MAC 有效的卡片锁定命令")
def card_block(ctx: ScenarioContext) -> None:
    ctx.response = _lifecycle(ctx, "card_block", mac_ok=True)


@when("在卡片终止状态下复位卡片")
def reset_terminated(ctx: ScenarioContext) -> None:
    ctx.card.reset()


_TERMINATED_PROBES = {
    "选择 SSSE": "select",
    "取随机数": "get_challenge",
    "读记录": "read_record",
    "校验 PIN": "verify",
    "内部认证": "internal_authenticate",
}


def _terminated_probe(ctx: ScenarioContext, label: str) -> tuple[str, Response]:
    """One raw command by its label in the feature (a terminated card refuses SELECT as well)."""
    from checks.security.lifecycle_probes import raw_probe

    if label not in _TERMINATED_PROBES:
        raise ValueError(f"no probe named {label!r}; known: {', '.join(_TERMINATED_PROBES)}")
    command = _TERMINATED_PROBES[label]
    return command, ctx.card.terminal.send(raw_probe(ctx.profile, command, ef_path=_PROBE_FILE, pin=ctx.pin), raw=True)


@then(parsers.re(r"卡片锁定后每条命令均返回 6A81（功能不支持，应用已锁定）：(?P<labels>.+)$"))
def terminated_refuses(ctx: ScenarioContext, labels: str) -> None:
    word = ctx.profile.sw["function_not_supported"]
    for label in labels.split("、"):
        command, response = _terminated_probe(ctx, label)
        assert word.matches(response.sw), (
            f"卡片锁定后{label}：预期 {word.label}，实际 {_fail_text(ctx, response)} / a terminated card must answer {word.pattern} ({word.en}) to {command}"
        )
