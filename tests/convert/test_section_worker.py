"""Request slots: at most `limit()` at once, admitted in section order, abandonable."""

from __future__ import annotations

import threading

import pytest

from voxcli.convert.section_worker import OrderedSlots, Stopped


def test_turns_are_admitted_in_order_whatever_order_they_ask_in() -> None:
    slots = OrderedSlots(lambda: 1, threading.Event())
    admitted: list[int] = []
    lock = threading.Lock()

    def take(turn: int) -> None:
        slots.acquire(turn)
        with lock:
            admitted.append(turn)
        slots.release()

    threads = [threading.Thread(target=take, args=(turn,)) for turn in (4, 2, 3, 0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert admitted == [0, 1, 2, 3, 4]


def test_passed_turns_do_not_block_later_ones_and_the_limit_holds() -> None:
    slots = OrderedSlots(lambda: 2, threading.Event())
    slots.pass_turn(0)  # cached: needs no request
    slots.acquire(1)
    slots.pass_turn(3)  # failed before its request
    slots.acquire(2)  # a second slot: the limit is 2
    blocked = threading.Thread(target=slots.acquire, args=(4,))
    blocked.start()
    blocked.join(0.2)
    assert blocked.is_alive()  # both slots are held
    slots.release()
    blocked.join(10)
    assert not blocked.is_alive()
    slots.pass_turn(1)  # a turn that already had its slot passes harmlessly


def test_stopping_wakes_every_waiter() -> None:
    stop = threading.Event()
    slots = OrderedSlots(lambda: 1, stop)
    errors: list[BaseException] = []

    def wait_for_turn_five() -> None:
        try:
            slots.acquire(5)
        except Stopped as exc:
            errors.append(exc)

    waiter = threading.Thread(target=wait_for_turn_five)
    waiter.start()
    stop.set()
    slots.wake()
    waiter.join(10)
    assert len(errors) == 1
    with pytest.raises(Stopped):
        slots.acquire(0)


def test_a_limit_that_rises_admits_the_waiting_turn_without_a_release() -> None:
    limit = [1]
    slots = OrderedSlots(lambda: limit[0], threading.Event())
    slots.acquire(0)
    waiter = threading.Thread(target=slots.acquire, args=(1,))
    waiter.start()
    waiter.join(0.5)
    assert waiter.is_alive()  # one slot, held
    limit[0] = 2  # e.g. the service reported room for more
    waiter.join(10)
    assert not waiter.is_alive()
    assert slots.held == 2
