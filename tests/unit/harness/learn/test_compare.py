"""Comparing learned machines: equivalence, shortest distinguishing sequences, marked transitions."""

from __future__ import annotations

from aalpy.automata import MealyMachine, MealyState

from harness.learn.compare import MachineView, compare

INPUTS = ("wrong", "right", "read")


def counter(tries: int, *, decrements: bool = True) -> MachineView:
    """A PIN counter: `wrong` answers 63Cx and counts down (or not), `right` restores it."""
    states = tuple(f"s{n}" for n in range(tries + 1))
    delta, output = {}, {}
    for n, s in enumerate(states):
        left = tries - n
        after = max(left - 1, 0) if decrements else left
        delta[(s, "wrong")] = f"s{tries - after}"
        output[(s, "wrong")] = f"63C{after:X}" if left else "6983"
        delta[(s, "right")] = "s0" if left else s
        output[(s, "right")] = "9000" if left else "6983"
        delta[(s, "read")] = s
        output[(s, "read")] = "9000 orig"
    return MachineView("s0", states, INPUTS, delta, output)


def test_a_machine_is_equivalent_to_itself() -> None:
    differences, model_marks, dut_marks = compare(counter(3), counter(3))
    assert differences == [] and not model_marks and not dut_marks


def test_the_shortest_distinguishing_sequence_is_found_and_marked() -> None:
    differences, model_marks, dut_marks = compare(counter(3), counter(3, decrements=False))
    first = differences[0]
    assert first.sequence == ("wrong",)
    assert first.model_outputs == ("63C2",) and first.dut_outputs == ("63C3",)
    assert ("s0", "wrong") in model_marks and ("s0", "wrong") in dut_marks
    assert all(a == "wrong" for _, a in model_marks)


def test_a_difference_deep_in_the_machine_is_reached_by_its_shortest_path() -> None:
    model, dut = counter(3), counter(3)
    dut.output[("s3", "right")] = "9000"  # a blocked PIN that still verifies
    differences, _, _ = compare(model, dut)
    assert [d.sequence for d in differences] == [("wrong", "wrong", "wrong", "right")]
    assert differences[0].model_outputs[-1] == "6983" and differences[0].dut_outputs[-1] == "9000"


def test_one_difference_per_kind() -> None:
    model, dut = counter(3), counter(3)
    for s in dut.states:
        dut.output[(s, "read")] = "9000 other"
    differences, model_marks, _ = compare(model, dut)
    assert len(differences) == 1 and differences[0].sequence == ("read",)
    assert {a for _, a in model_marks} == {"read"}


def test_machine_view_of_an_aalpy_machine_names_states_in_breadth_first_order() -> None:
    a, b = MealyState("a"), MealyState("b")
    a.transitions = {"x": b, "y": a}
    a.output_fun = {"x": "1", "y": "0"}
    b.transitions = {"x": b, "y": a}
    b.output_fun = {"x": "2", "y": "0"}
    view = MachineView.of(MealyMachine(a, [a, b]), ["x", "y"])
    assert view.states == ("s0", "s1")
    assert view.run(["x", "x", "y", "x"]) == ["1", "2", "0", "1"]
    assert view.access_sequences() == {"s0": (), "s1": ("x",)}
    doc = view.to_json()
    assert {"from": "s1", "input": "x", "output": "2", "to": "s1"} in doc["transitions"]


def test_machines_over_different_alphabets_are_not_compared() -> None:
    other = counter(3)
    other = MachineView(other.initial, other.states, ("wrong", "right"), other.delta, other.output)
    try:
        compare(counter(3), other)
    except ValueError as exc:
        assert "alphabets" in str(exc)
    else:
        raise AssertionError("compare accepted machines over different alphabets")
