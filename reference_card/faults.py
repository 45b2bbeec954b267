"""Named faults: mutant reference cards that each break one requirement.

A fault is configuration of the one card model, not a subclass: the model reads the active fault
names once at construction and sets the flags and data its handlers consult. That keeps each
mutant a one-line difference from the clean card, so a test suite that passes on the clean card
and fails on a mutant shows exactly which requirement the suite can detect.

``ReferenceCard(profile, personalization, faults=["pin_counter_not_decremented"])``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["FAULTS", "Fault", "resolve_faults"]


@dataclass(frozen=True)
class Fault:
    name: str
    description: str
    requirement_ids: tuple[str, ...]
    generations: tuple[str, ...] = ()  # profiles where the fault is observable; () = all
    target: str | None = None  # the profile file path a file-specific fault changes


_ALL = (
    Fault(
        "pin_counter_not_decremented",
        "a wrong PIN does not decrement the PIN try counter (63Cx stays the same, never blocks)",
        ("SEC-PIN-1",),
    ),
    Fault(
        "gen3_ef06_free_read", "gen3: SSSE/EF06 (cardholder basics) is readable without AUTH RKSSSE", ("SEC-AC-7",), ("gen3",), "SSSE/EF06"
    ),
    Fault(
        "any_key_opens_auth",
        "an AUTH term is satisfied by any key authenticated in the current DF (another UK opens a file)",
        ("SEC-AC-2",),
    ),
    Fault("or_rule_as_and", "'a or b' access rules are enforced as 'a and b'", ("SEC-AC-5",)),
    Fault("and_rule_as_or", "'a and b' access rules are enforced as 'a or b'", ("SEC-AC-6",)),
    Fault("bad_card_id_mac", "the MAC bytes 13-16 of the card identification code are wrong", ("STD-DATA-1", "INT-XR-7")),
    Fault("bad_card_number_check", "the card number is personalized with a wrong check character", ("STD-DATA-2",)),
    Fault("wrong_spec_version", "EF05 spec version names another generation", ("STD-DATA-4",)),
    Fault("wrong_length_instead_of_6cxx", "a wrong Le is answered 6700 instead of 6Cxx with the exact length", ("STD-CMD-4",)),
    Fault("reusable_challenge", "a challenge is not consumed: it can be used again (replay)", ("SEC-AUTH-3", "SEC-SM-1")),
    Fault("mac_not_checked", "the MAC of a secure-messaging command is not verified", ("SEC-SM-1", "SEC-LC-1", "SEC-PIN-3")),
    Fault("firewall_leak", "key states survive a selection across the SSSE/PSE firewall (SSSE MK 00 then opens PSEMK 00)", ("SEC-FW-1",)),
    Fault(
        "swapped_diversification",
        "the card's national keys are diversified with the province and city factors swapped",
        ("SEC-KEY-1", "SEC-AUTH-1", "SEC-AUTH-2", "INT-XR-1", "INT-XR-8"),
    ),
    Fault(
        "local_keys_from_national_root",
        "DF80 local keys are derived from the national test root instead of the city's local root",
        ("INT-XR-5",),
    ),
    Fault("no_read_record_by_tag", "READ RECORD by record identifier (tag) is not supported (6A86)", ("STD-REC-3", "INT-XR-2")),
    Fault("application_block_ignored", "APPLICATION BLOCK answers 9000 but the application stays usable", ("SEC-LC-1",)),
    Fault("security_before_record", "the access rule is checked before the record's existence (6982 instead of 6A83)", ("STD-SW-1",)),
    Fault("no_anti_tearing", "a write torn by a power cut leaves the first bytes new and the rest old", ("SEC-TEAR-1",)),
    Fault(
        "try_counter_after_compare",
        "the PIN/key try counter is written only after a failed comparison, so a power cut "
        "reveals the result (a right PIN answers with no write at all)",
        ("SEC-TEAR-2",),
    ),
    Fault(
        "fci_wrong_algorithm_id",
        "the FCIs announce the other generation's algorithm id (01 <-> 03) in their proprietary template",
        ("STD-FS-1",),
    ),
    Fault(
        "challenge_restarts_at_reset",
        "the GET CHALLENGE generator is re-seeded identically at every power-on/reset (the same challenges after each reset)",
        ("STD-CMD-3",),
    ),
    Fault("counter_challenge", "GET CHALLENGE answers a counter (little-endian, step 1, from a random start)", ("STD-CMD-3",)),
    # one killing fault per requirement (issue 8 §7)
    Fault("atr_wrong_guard_time", "the ATR's TC1 asks for an extra guard time of 5 etu instead of §2's value", ("STD-ATR-1",)),
    Fault(
        "atr_without_card_sn",
        "the card SN bytes of the ATR (T6-T13) were never personalized: left FF (the keys and the card identification code carry the SN the issuer personalized with)",
        ("STD-ATR-2",),
    ),
    Fault(
        "mandatory_ef_missing",
        "the mandatory EF SSSE/DF03/EF07 was not created at personalization",
        ("STD-FS-2",),
        target="SSSE/DF03/EF07",
    ),
    Fault("dir_misses_adf", "the DIR was not updated when the last optional ADF was created: it lists one ADF fewer", ("STD-FS-3",)),
    Fault(
        "record_with_two_tlvs",
        "a linear record carries a second (empty) TLV after its data element",
        ("STD-REC-1",),
        target="SSSE/DF01/EF06",
    ),
    Fault("extra_record", "a linear EF holds one record more than the data dictionary defines", ("STD-REC-2",), target="SSSE/DF01/EF05"),
    Fault("bad_ssn_check", "the social security number is personalized with a wrong check character", ("STD-DATA-3",)),
    Fault("issue_after_expiry", "issue date and expiry date are personalized swapped (issued after it expires)", ("STD-DATA-5",)),
    Fault("name_not_gbk", "the name record holds bytes that are not GBK (a UTF-8/GBK mix-up at personalization)", ("STD-DATA-6",)),
    Fault("no_select_parent_by_fid", "SELECT by FID (P1 00) in an ADF does not reach its parent DF nor its sibling DFs", ("STD-CMD-1",)),
    Fault(
        "cyclic_append_no_rotation", "APPEND RECORD on a full cyclic file answers 6A84 instead of overwriting the oldest", ("STD-CMD-5",)
    ),
    Fault(
        "ef05_update_free", "the card-issuer data SSSE/EF05 was personalized with a free update right", ("SEC-AC-1",), target="SSSE/EF05"
    ),
    Fault(
        "pin_file_free_read",
        "the employment file SSSE/DF02/EF06 was personalized readable without the PIN",
        ("SEC-AC-3",),
        target="SSSE/DF02/EF06",
    ),
    Fault("write_key_grants_read", "the write key UK1DF03 also opens reading of SSSE/DF03/EF05", ("SEC-AC-4",), target="SSSE/DF03/EF05"),
    Fault("irk_versions_identical", "all versions of the internal authentication key were loaded with the same key", ("SEC-KEY-2",)),
    Fault("wrong_init_institution", "the card carries another (well-formed) initialization institution number than declared", ("PER-1",)),
    Fault("external_keys_missing_last_version", "the external keys were loaded without their last declared version", ("PER-2",)),
    Fault(
        "card_number_not_as_issued",
        "EF05 carries another well-formed card number than the issuer registered (a row slip in the personalization file)",
        ("INT-XR-6",),
    ),
    Fault("gender_contradicts_ssn", "the gender record contradicts the parity of the social security number", ("PER-3",)),
    # every check proves its effect (issue 8 §2)
    Fault(
        "write_ignored",
        "UPDATE BINARY and UPDATE RECORD answer 9000 without writing anything",
        ("SEC-AC-1", "SEC-AC-4", "SEC-AC-6", "SEC-SM-1", "STD-CMD-2", "INT-XR-3"),
    ),
    Fault(
        "write_despite_refusal",
        "an UPDATE BINARY/RECORD refused for its access rule (6982) still writes the data",
        ("SEC-AC-1", "SEC-AC-2", "SEC-AC-4", "SEC-AC-6", "SEC-AC-8", "SEC-FW-1"),
    ),
    # the right status word, and the write done anyway: only a read-back sees these (issue 8 §2)
    Fault(
        "wrong_tag_written",
        "an UPDATE RECORD whose tag does not match the record definition is answered 6A80 but stored",
        ("STD-CMD-2",),
    ),
    Fault(
        "blocked_application_writes",
        "in a blocked application UPDATE RECORD/BINARY are answered 6A81 but still executed",
        ("SEC-LC-1",),
    ),
    Fault(
        "sm_refusal_writes",
        "a secure-messaging UPDATE RECORD refused for its challenge (6984) or its MAC (6988) still writes the data",
        ("SEC-SM-1",),
    ),
    Fault(
        "change_pin_no_effect",
        "CHANGE PIN with the right old PIN answers 9000 but changes neither the PIN nor the counter",
        ("SEC-PIN-2", "INT-XR-4"),
    ),
    Fault("reload_pin_no_effect", "RELOAD PIN answers 9000 but changes neither the PIN nor the counter", ("SEC-PIN-3",)),
    Fault("unblock_pin_no_effect", "UNBLOCK PIN answers 9000 but leaves the PIN try counter as it was", ("SEC-PIN-3",)),
    Fault(
        "read_wrong_data",
        "a granted READ RECORD by record identifier (tag) of a protected file returns the file's next record",
        ("STD-REC-3", "SEC-AC-3", "SEC-AC-4", "SEC-AC-5", "SEC-AC-6", "SEC-AC-8"),
    ),
    Fault("pin_state_survives_reset", "the PIN-verified state survives a reset", ("SEC-AC-8",)),
    Fault(
        "change_pin_sets_no_pin_state",
        "CHANGE PIN changes the PIN but leaves the PIN state unset (PROFILE §5: it sets it), so a PIN-protected read in an ADF is refused",
        ("SEC-PIN-2", "SEC-AC-8"),
    ),
    Fault(
        "change_pin_ignores_block",
        "CHANGE PIN on a blocked PIN compares the old PIN and, when it is right, changes the PIN and fills the counter",
        ("SEC-PIN-1", "SEC-PIN-2"),
    ),
    Fault("change_pin_blocked_at_last_try", "CHANGE PIN answers 6983 (blocked) already with one try left", ("SEC-PIN-2",)),
    # robustness (issue 8 §2): malformed and unknown APDUs
    Fault(
        "undefined_ins_answers_ok", "an INS the profile does not define, under a known CLA, answers 9000 instead of 6D00", ("SEC-ROB-1",)
    ),
    Fault(
        "truncated_apdu_answers_data",
        "an APDU shorter than its 4-byte header is answered with data (the card SN) and 9000",
        ("SEC-ROB-1",),
    ),
    Fault(
        "inconsistent_lc_mute",
        "an APDU whose Lc disagrees with its length gets no answer at all (no status word: the command interpreter crashed)",
        ("SEC-ROB-1",),
    ),
    Fault(
        "malformed_p2_reads_protected",
        "READ RECORD with the reserved P2 mode 'by number' | 1 reads the record by number without checking its read rule",
        ("SEC-ROB-1",),
    ),
    Fault("sm_any_key_mac", "a secure-messaging MAC computed under any key of the file's DF is accepted", ("SEC-SM-1",)),
    # one malformed field at a time (issue 8 §7: the mutation survivors)
    Fault(
        "get_challenge_any_p1p2",
        "GET CHALLENGE ignores its P1 and P2: a wrong one is answered with a challenge and 9000",
        ("STD-SW-1", "SEC-ROB-1"),
    ),
    Fault(
        "shortest_pin_refused",
        "a PIN of exactly the shortest length (commands.verify.min_pin_bytes) is refused as too short",
        ("SEC-PIN-2",),
    ),
    Fault(
        "tearing_hook_p2_only",
        "the tearing test hook FF 7E P1 P2 reads its offset from P2 alone (a cut asked at byte 256 falls at byte 0)",
        ("SEC-TEAR-1",),
    ),
)

FAULTS: dict[str, Fault] = {f.name: f for f in _ALL}


def resolve_faults(names: Iterable[str]) -> frozenset[str]:
    """Validate fault names; ValueError lists the known ones."""
    chosen = frozenset(names) if not isinstance(names, str) else frozenset([names])
    unknown = sorted(chosen - FAULTS.keys())
    if unknown:
        raise ValueError(f"unknown fault(s) {', '.join(unknown)}; known faults: {', '.join(sorted(FAULTS))}")
    return chosen
