"""The sentences a comparison page opens with, and what they tell a parser.

The time to become each role is said of both at once, of each apart with either role
first, or not at all (``months_to_become`` None); the higher-paid sentence names the
better-paid role, says both are paid the same, or is left out (``higher_paid`` None).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from demosite import render
from demosite.catalog import Role
from schemas.records import MonthsRange, SideRecord


@dataclass(frozen=True)
class Intro:
    sentences: list[str]
    #: what each side's ``months_to_become`` reads as, from the intro
    months_a: MonthsRange | None
    months_b: MonthsRange | None
    higher_paid: str | None


def time_phrase(months: MonthsRange, unit: str) -> str:
    lo, hi = int(months.min), int(months.max)
    if unit == "years":
        return f"{lo // 12}-{hi // 12} years"
    return f"{lo}-{hi} months"


def _time_sentence(rng: random.Random, ra: Role, rb: Role, ma: MonthsRange, mb: MonthsRange) -> str:
    name_a, name_b = _named(ra), _named(rb)
    if ma == mb and ra.time_unit == rb.time_unit:
        return (
            f"It typically takes {time_phrase(ma, ra.time_unit)} to become "
            f"both {name_a} and {name_b}."
        )
    first, second = (
        ((ma, ra.time_unit, name_a), (mb, rb.time_unit, name_b))
        if rng.random() < 0.5
        else ((mb, rb.time_unit, name_b), (ma, ra.time_unit, name_a))
    )
    return (
        f"While it typically takes {time_phrase(first[0], first[1])} to become "
        f"{first[2]}, becoming {second[2]} takes usually requires "
        f"{time_phrase(second[0], second[1])}."
    )


def _pay_sentence(
    rng: random.Random, ra: Role, rb: Role, ya: int | None, yb: int | None
) -> tuple[str | None, str | None]:
    """The sentence comparing average salaries (or None) and ``higher_paid``."""
    name_a, name_b = _named(ra), _named(rb)
    if ya is not None and yb is not None and ya == yb:
        return f"Additionally, {name_a} and {name_b} both have an average salary of ${ya:,}.", None
    if ya is None or yb is None or rng.random() >= 0.85:
        return None, None
    higher = "a" if ya > yb else "b"
    (hi_name, hi_pay), (lo_name, lo_pay) = (
        ((name_a, ya), (name_b, yb)) if higher == "a" else ((name_b, yb), (name_a, ya))
    )
    return (
        f"Additionally, {hi_name} has an average salary of ${hi_pay:,}, which is higher "
        f"than the ${lo_pay:,} average annual salary of {lo_name}.",
        higher,
    )


def _named(role: Role) -> str:
    lowered = role.title.lower()
    return f"{render.article(lowered)} {lowered}"


def intro(rng: random.Random, ra: Role, rb: Role, fa: SideRecord, fb: SideRecord) -> Intro:
    """The intro of a page comparing ``ra`` (figures ``fa``) with ``rb`` (``fb``)."""
    ta, tb = ra.title.lower(), rb.title.lower()
    sentences = [
        f"The differences between {render.plural(ta)} and {render.plural(tb)} can be seen in "
        "a few details. Each job has different responsibilities and duties."
    ]
    ma, mb = fa.months_to_become, fb.months_to_become
    months_a = months_b = None
    if ma is not None and mb is not None and rng.random() < 0.9:
        sentences.append(_time_sentence(rng, ra, rb, ma, mb))
        months_a, months_b = ma, mb
    pay, higher = _pay_sentence(rng, ra, rb, fa.average_salary_usd, fb.average_salary_usd)
    if pay is not None:
        sentences.append(pay)
    return Intro(sentences, months_a, months_b, higher)


def skills_sentences(ra: Role, rb: Role, fa: SideRecord, fb: SideRecord) -> str:
    sa, sb = fa.top_skills, fb.top_skills
    return (
        f"The top three skills for {_named(ra)} include {sa[0]}, {sa[1]} and "
        f"{sa[2]}. The most important skills for {_named(rb)} are {sb[0]}, "
        f"{sb[1]}, and {sb[2]}."
    )
