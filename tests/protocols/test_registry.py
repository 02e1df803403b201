"""The protocol table: one ProtocolSpec per protocol, and everything that asks it."""
from __future__ import annotations

import pytest

from simulator.lab import faults, scenarios
from simulator.lab.session import make_engine
from simulator.mail.world import World
from simulator.protocols.base import Engine
from simulator.protocols.registry import PROTOCOLS, SPECS, spec
from simulator.quiz import spec as quiz_spec
from simulator.store.db import MailStore


@pytest.fixture(scope="module")
def world():
    return World.load()


def test_the_table_lists_smtp_pop3_and_imap_in_the_lecture_order():
    assert PROTOCOLS == ("smtp", "pop3", "imap")
    assert [spec(p).title for p in PROTOCOLS] == ["SMTP", "POP3", "IMAP"]


def test_ports_are_distinct_and_the_standard_ones_are_the_rfcs():
    assert len({s.default_port for s in SPECS.values()}) == 3
    assert {p: s.standard_port for p, s in SPECS.items()} == {"smtp": 25, "pop3": 110, "imap": 143}


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_every_engine_keeps_the_typed_contract_and_greets_with_a_greeting_code(protocol, world):
    store = MailStore(world)
    engine = make_engine(world, protocol, store.realm("t"))
    assert isinstance(engine, Engine)
    greeting = engine.greeting()
    assert greeting.code in spec(protocol).replies.GREETING_CODES and greeting.ok
    assert isinstance(spec(protocol).limits(), spec(protocol).limits)


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_busy_port_refuses_and_closes(protocol, world):
    reply = spec(protocol).busy_reply(world)
    assert not reply.ok and reply.closes


def test_the_modules_that_list_protocols_take_them_from_the_table():
    assert faults.known_stages("imap")[:len(spec("imap").stages)] == spec("imap").stages
    assert scenarios.reply_codes("pop3") == tuple(spec("pop3").codes)
    assert scenarios.FIGURES_BY_PROTOCOL == {"smtp": ("14.6", "14.7", "14.8"), "pop3": (), "imap": ()}
    assert quiz_spec.PROTOCOLS == PROTOCOLS


def test_an_unknown_protocol_is_a_key_error():
    with pytest.raises(KeyError):
        spec("ftp")
