"""Notices read right: each greets its recipient by name, a copy says it is one and for whom, a co-unit is asked
for its opinion, the feedback request carries the answer and how to reply, and `templates check` holds them to it."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from cli import cli
from notifications import NotifyConfig, RecordingChannel
from notifications.channels import Message
from notifications.dispatcher import Dispatcher
from workflow.engine import Engine
from workflow.store import outbox
from workflow.store.sql import Raw
from workflow.sweep import sweep
from workflow.testing import FrozenClock, beijing

OFFICE = "市人大常委会代表工作委员会"


def _config(channel: RecordingChannel, **extra: object) -> NotifyConfig:
    return NotifyConfig(office_name=OFFICE, channels={"file": channel}, **extra)  # type: ignore[arg-type]


def _sent_only_from_now(engine: Engine) -> None:
    with engine.db.transaction() as conn:
        Raw(conn).run("UPDATE outbox SET status = 'sent'", {})


def _by_greeting(sent: list[Message]) -> dict[str, Message]:
    return {m.text.splitlines()[0]: m for m in sent}


def _co_handled(engine: Engine) -> None:
    engine.edit_unit("市交通运输局", email="jtj@example.org")
    engine.edit_unit("市财政局", webhook="http://127.0.0.1:9/hook")
    engine.submit("0001", title="关于优化公交线路的建议", deputy="张三")
    engine.assign("0001", main="市交通运输局", co=["市财政局"])


def test_a_notice_greets_its_unit_by_name_not_its_address(db_path: Path, clock: FrozenClock) -> None:
    """The 交办 notice to a unit with an e-mail address opens with the unit's name."""
    channel = RecordingChannel()
    with Engine.open(db_path, clock=clock) as engine:
        _co_handled(engine)
        Dispatcher(engine, _config(channel)).dispatch()
    greetings = sorted(m.text.splitlines()[0] for m in channel.sent)
    assert greetings == ["市交通运输局：", "市财政局："]
    assert {m.to for m in channel.sent} == {"市交通运输局", "市财政局"}


def test_a_late_co_opinion_names_the_co_unit_to_the_main_unit_and_asks_the_co_unit_for_its_opinion(
    db_path: Path, clock: FrozenClock
) -> None:
    """催办 of a late 会办意见: the main unit is told which co-unit is late; the co-unit's 督办函 asks for its opinion
    (not an answer to the deputy); the office's copy says it is a copy, for the co-unit."""
    channel = RecordingChannel()
    with Engine.open(db_path, clock=clock) as engine:
        _co_handled(engine)
        _sent_only_from_now(engine)
        clock.set(beijing("2026-04-03", 10))  # due 04-02: one working day late
        sweep(engine)
        Dispatcher(engine, _config(channel)).dispatch()
        cuiban = _by_greeting(channel.sent)
        channel.sent.clear()
        clock.set(beijing("2026-04-13", 10))  # five working days late (清明 04-06 not counted)
        sweep(engine)
        Dispatcher(engine, _config(channel)).dispatch()
        letters = _by_greeting(channel.sent)
    assert set(cuiban) == {"市交通运输局：", "市财政局："}
    to_main = cuiban["市交通运输局："].text
    assert "会办单位市财政局的会办意见已于2026-04-02到期" in to_main
    assert "请与市财政局联系，督促其尽快提出会办意见" in to_main
    assert "你单位对代表建议《关于优化公交线路的建议》" in cuiban["市财政局："].text
    assert set(letters) == {"督办函"}  # both letters open with their title; the greeting follows
    [to_co, to_office] = sorted(channel.sent, key=lambda m: m.to != "市财政局")
    assert to_co.text.splitlines()[2] == "市财政局："
    assert "请你单位高度重视，于收到本函后五个工作日内将会办意见书面送主办单位" in to_co.text
    assert "办结并答复代表" not in to_co.text
    assert to_office.text.splitlines()[2] == f"{OFFICE}："
    assert f"（抄送件：本通知致市财政局，抄送{OFFICE}知悉。）" in to_office.text
    assert "由市财政局会办" in to_office.text
    assert "由你单位" not in to_office.text


def test_the_office_copy_of_a_late_answer_says_for_whom(db_path: Path, clock: FrozenClock) -> None:
    """The office's 催办 copy names the owing unit instead of telling the office to handle it."""
    channel = RecordingChannel()
    with Engine.open(db_path, clock=clock) as engine:
        engine.submit("0001", title="关于优化公交线路的建议", deputy="张三")
        engine.assign("0001", main="市交通运输局")
        _sent_only_from_now(engine)
        clock.set(beijing("2026-06-04", 10))
        sweep(engine)
        Dispatcher(engine, _config(channel)).dispatch()
    notices = _by_greeting(channel.sent)
    assert set(notices) == {"市交通运输局：", f"{OFFICE}："}
    office = notices[f"{OFFICE}："].text
    assert f"（抄送件：本通知致市交通运输局，抄送{OFFICE}知悉。）" in office
    assert "承办单位：市交通运输局。" in office
    assert "请立即办理" in notices["市交通运输局："].text


def _answered(engine: Engine) -> None:
    engine.submit("0001", title="关于优化公交线路的建议", deputy="张三")
    engine.assign("0001", main="市交通运输局")
    engine.answer("0001", category="A", text="已于2026年3月新开通 12 路公交，\n覆盖代表所提片区。")


def test_the_feedback_request_carries_the_answer_and_the_paper_form(
    db_path: Path, clock: FrozenClock
) -> None:
    """Without a portal the deputy is asked by name, told the class, its meaning and a summary, and sent to the
    paper 征询意见表."""
    channel = RecordingChannel()
    with Engine.open(db_path, clock=clock) as engine:
        _answered(engine)
        Dispatcher(engine, _config(channel)).dispatch()
    [request] = [m for m in channel.sent if m.topic == "feedback_request"]
    assert request.text.splitlines()[:4] == [
        "尊敬的张三代表：",
        "",
        "您提出的建议《关于优化公交线路的建议》（测试会议第0001号）已由市交通运输局答复，"
        "办理类别：A类（所提问题已经解决或者基本解决）。",
        "答复摘要：已于2026年3月新开通 12 路公交， 覆盖代表所提片区。",
    ]
    assert f"反馈方式：填写《代表建议办理情况征询意见表》，送{OFFICE}。" in request.text


def test_the_feedback_request_names_the_portal_when_one_is_configured(
    db_path: Path, clock: FrozenClock
) -> None:
    """With portal_url set, the deputy is sent there."""
    channel = RecordingChannel()
    with Engine.open(db_path, clock=clock) as engine:
        _answered(engine)
        Dispatcher(engine, _config(channel, portal_url="https://jianyi.example.org/")).dispatch()
    [request] = [m for m in channel.sent if m.topic == "feedback_request"]
    assert "反馈方式：登录 https://jianyi.example.org/ 填写意见。" in request.text


def test_outbox_list_and_show_name_the_recipient(
    runner: CliRunner, db_path: Path, clock: FrozenClock
) -> None:
    """`outbox list` shows the unit's name, not unit:1; `outbox show --render` greets it by name."""
    with Engine.open(db_path, clock=clock) as engine:
        engine.edit_unit("市交通运输局", email="jtj@example.org")
        engine.submit("0001", title="关于优化公交线路的建议", deputy="张三")
        engine.assign("0001", main="市交通运输局")
        [notice] = outbox.listing(engine)
    listed = runner.invoke(cli, ["--db", str(db_path), "outbox", "list"])
    assert listed.exit_code == 0
    assert "市交通运输局" in listed.stdout
    assert "unit:" not in listed.stdout
    shown = runner.invoke(cli, ["--db", str(db_path), "outbox", "show", str(notice.id), "--render", "--json"])
    assert shown.exit_code == 0, shown.output
    assert '"text": "市交通运输局：' in shown.stdout


def test_templates_check_renders_every_template_for_every_recipient(runner: CliRunner, db_path: Path) -> None:
    """The shipped templates pass, rendered for the office, a main unit, a co-unit and a deputy."""
    result = runner.invoke(cli, ["--db", str(db_path), "templates", "check"])
    assert result.exit_code == 0
    assert result.stdout.endswith("template(s) checked, 0 problem(s)\n")


def test_templates_check_fails_on_a_greeting_with_an_address_or_an_id(
    runner: CliRunner, db_path: Path, tmp_path: Path
) -> None:
    """An override greeting an e-mail address, or `unit:3`, is named, one line per problem, and the command
    fails."""
    (tmp_path / "assigned.txt.j2").write_text(
        '{% set subject = "交办" %}jtj@example.org：\n\n请办理。', encoding="utf-8"
    )
    (tmp_path / "feedback_request.txt.j2").write_text(
        '{% set subject = "征询" %}{{ recipient_kind }}:3：\n\n请反馈。', encoding="utf-8"
    )
    (tmp_path / "supervision_letter.txt.j2").write_text(
        '{% set subject = "督办函" %}督办函\n\n{{ recipient }}：\n\n{% if recipient_kind == "office" %}'
        "（抄送 office:1）{% endif %}请办理。",
        encoding="utf-8",
    )
    (tmp_path / "promise_reminder.txt.j2").write_text(
        '{% set subject = "提醒" %}督办函\n\n{{ "unit:" if recipient_kind == "unit" else "" }}{{ recipient }}：\n'
        "\n请落实。",
        encoding="utf-8",
    )
    result = runner.invoke(cli, ["--db", str(db_path), "templates", "check", "--dir", str(tmp_path)])
    assert result.exit_code == 3
    problems = [line for line in result.stdout.splitlines() if line.startswith("  ") or "template '" in line]
    assert [p.strip() for p in problems] == [
        "template 'assigned': for a main unit: the greeting 'jtj@example.org：' shows an address or an id, "
        "not a name",
        "template 'assigned': for a co-unit: the greeting 'jtj@example.org：' shows an address or an id, "
        "not a name",
        "template 'feedback_request': for a deputy: the greeting 'deputy:3：' shows an address or an id, "
        "not a name",
        "template 'promise_reminder': for a main unit: the greeting 'unit:市交通运输局：' shows an address or an "
        "id, not a name",
        "template 'promise_reminder': for a co-unit: the greeting 'unit:市财政局：' shows an address or an id, "
        "not a name",
        "template 'promise_reminder': for a main unit about its late co-unit: the greeting 'unit:市交通运输局：' "
        "shows an address or an id, not a name",
    ]
