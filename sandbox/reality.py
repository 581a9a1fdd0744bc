"""What real accounts send that a tidy simulation would not (issue 22), one switch per case.

``RealityOptions()`` is the tidy world every profile was before issue 22: the tidy ``tiny``
world and the default ``demo`` and ``large`` worlds are byte for byte what they were (truth, git
objects, API answers). Each profile names the cases its world holds unless asked otherwise
(``Profile.reality``): none for ``demo`` and ``large``; for ``tiny`` — the world every test and
``tokenworth sandbox serve`` use by default — usage nobody in the roster owns (``unowned_keys``,
``api_actors``), a ghost author (``ghosts``), fork PRs (``forks``) and Copilot's seat list
forbidden to the token (``copilot_seats_forbidden``), so the tests meet what real accounts send
without asking. ``build_world(profile)`` gives the profile's default; ``build_world(profile,
reality=RealityOptions())`` the tidy world. ``RealityOptions.messy()`` turns every case on;
``RealityOptions.parse("forks,ghosts")`` turns on the named ones (on top of ``base``, default the
tidy world; ``"tidy"`` starts again from none), so a test can exercise one case at a time. The
world carries its options (``World.reality``); the generator, the vendors and the truth all read
them from there.

The cases (the names ``parse`` and ``tokenworth sandbox serve --mess`` accept; ``--messy`` and
``--mess`` add to the profile's default cases):

Usage that belongs to nobody in the roster
    ``unowned_keys``   OpenAI and Anthropic usage with a null user: service-account keys, usage
                       without a key (Console, Playground), usage the report cannot break down
                       (user, key, project and model all null), a key whose creator left.
    ``api_actors``     Claude Code report rows of ``api_actor`` keys (CI bots) that no person owns.
    ``removed_members`` Cursor usage events of a member since removed from the team.
    ``departed_users`` Copilot user-days of a user who left (no seat, not in the organisation).

Products the organisation does not have (values, not switches)
    ``copilot_reports_status``  what the Copilot usage-metrics reports answer: 200, 403 (the
                       metrics policy is off), 404, or 422 (the metrics API setting is disabled);
    ``copilot_seats_status``    what ``copilot/billing/seats`` answers: 200, 403 or 404;
    ``copilot_licence=False``   no Copilot at all: no Copilot usage or seats in the world, and both
                       endpoints answer 404 (``no_copilot``);
    ``cursor_enterprise=False`` a Cursor team below Enterprise: AI Code Tracking answers 403
                       (``cursor_teams_plan``);
    ``claude_code=False``       Anthropic without Claude Code: no Claude Code usage in the world,
                       and its report answers 200 with no records, as the Admin API does for an
                       organisation nobody uses it in (``no_claude_code``).
    Names for ``parse``: ``copilot_metrics_off`` (403), ``copilot_metrics_disabled`` (422),
    ``copilot_seats_forbidden`` (403), ``no_copilot``, ``cursor_teams_plan``, ``no_claude_code``.

GitHub as it really is
    ``ghosts``          a deleted account's PRs, reviews and merges (``author: null``);
    ``forks``           PRs from forks (``isCrossRepository``; one fork since deleted: no head
                        repository);
    ``bots``            PRs by GitHub Apps (Renovate, GitHub Actions) and reviews by Copilot;
    ``oversized_prs``   a PR with more commits (300) than GitHub serves (250) and one with more
                        files (3,100) than GitHub serves (3,000);
    ``force_pushes``    PRs whose branch was force-pushed: their first commits exist nowhere;
    ``rebase_merges``   PRs landed by rebase (their commits re-created on the default branch);
    ``repo_lifecycle``  repositories renamed, transferred, archived, empty and deleted during the
                        world (the API answers as of a day: ``SandboxServer(as_of=…)``);
    ``unfetchable_refs`` a closed PR whose base and head commits no clone can fetch;
    ``odd_files``       binary files, non-UTF-8 text, Git LFS pointers, a 50,000-line lock file,
                        a minified bundle and a submodule, changed by pull requests.

Answers that are wrong (issue 23; by name only, never in ``messy``: they are what the pipeline
must refuse, not what it must report). OpenAI's answers change; the world does not, so the
truth's costs stay what a correct warehouse shows, and ``sandbox.truth.hostile_truth`` says what
must be held, quarantined and dropped:
    ``truncated_day``   the costs of the last day with OpenAI usage answer one row of the day's
                        several from the second time that day is asked for (a second night's
                        partial answer);
    ``future_rows``     every costs answer that holds the first day with OpenAI usage adds a
                        bucket five years ahead with one $17,500 row;
    ``negative_rows``   that first day gains a cost row of -$9.66 and a completions row of -500
                        input tokens;
    ``duplicate_rows``  that first day repeats its first cost row (the same key twice).
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

# Switches that only add or change records, turned on by name.
SWITCHES = (
    "unowned_keys",
    "api_actors",
    "removed_members",
    "departed_users",
    "ghosts",
    "forks",
    "bots",
    "oversized_prs",
    "force_pushes",
    "rebase_merges",
    "repo_lifecycle",
    "unfetchable_refs",
    "odd_files",
)
# Wrong answers, turned on by name only (``messy`` leaves them off).
HOSTILE = ("truncated_day", "future_rows", "negative_rows", "duplicate_rows")
# Products the organisation lacks, by name, as the option values they set.
PRODUCTS: dict[str, dict[str, object]] = {
    "copilot_metrics_off": {"copilot_reports_status": 403},
    "copilot_metrics_disabled": {"copilot_reports_status": 422},
    "copilot_seats_forbidden": {"copilot_seats_status": 403},
    "no_copilot": {"copilot_licence": False},
    "cursor_teams_plan": {"cursor_enterprise": False},
    "no_claude_code": {"claude_code": False},
}
REPORT_STATUSES = (200, 403, 404, 422)
SEAT_STATUSES = (200, 403, 404)


@dataclass(frozen=True, slots=True)
class RealityOptions:
    """Which real-world cases the sandbox generates, serves and records in the truth."""

    unowned_keys: bool = False
    api_actors: bool = False
    removed_members: bool = False
    departed_users: bool = False
    copilot_licence: bool = True
    copilot_reports_status: int = 200
    copilot_seats_status: int = 200
    cursor_enterprise: bool = True
    claude_code: bool = True
    ghosts: bool = False
    forks: bool = False
    bots: bool = False
    oversized_prs: bool = False
    force_pushes: bool = False
    rebase_merges: bool = False
    repo_lifecycle: bool = False
    unfetchable_refs: bool = False
    odd_files: bool = False
    truncated_day: bool = False
    future_rows: bool = False
    negative_rows: bool = False
    duplicate_rows: bool = False

    def __post_init__(self) -> None:
        if self.copilot_reports_status not in REPORT_STATUSES:
            raise ValueError(
                f"copilot_reports_status {self.copilot_reports_status} is not one of "
                f"{', '.join(map(str, REPORT_STATUSES))}"
            )
        if self.copilot_seats_status not in SEAT_STATUSES:
            raise ValueError(
                f"copilot_seats_status {self.copilot_seats_status} is not one of "
                f"{', '.join(map(str, SEAT_STATUSES))}"
            )

    @classmethod
    def messy(cls) -> RealityOptions:
        """Every case at once: every switch, the Copilot metrics policy off and a Cursor team
        below Enterprise. (Products whose usage would vanish from the world — no Copilot, no
        Claude Code — are left to ``parse``: they would empty the platforms the rest exercises.)"""
        return cls(
            **{name: True for name in SWITCHES},
            copilot_reports_status=403,
            cursor_enterprise=False,
        )

    @classmethod
    def parse(cls, spec: str | None, base: RealityOptions | None = None) -> RealityOptions:
        """``"forks,ghosts,no_copilot"`` → those cases; ``"messy"`` or ``"all"`` → :meth:`messy`;
        ``"tidy"`` → no case (what follows it adds to the tidy world).

        The named cases are added to ``base`` (default: the tidy world), so a profile's default
        cases plus ``--mess`` is ``parse(mess, base=parse(profile.reality))``. Raises
        ``ValueError`` naming the unknown case and listing the known ones.
        """
        options = base if base is not None else cls()
        for raw in (spec or "").split(","):
            name = raw.strip().lower().replace("-", "_")
            if not name:
                continue
            if name == "tidy":
                options = cls()
            elif name in ("messy", "all"):
                options = replace(cls.messy(), **_products_of(options))
            elif name in SWITCHES or name in HOSTILE:
                options = replace(options, **{name: True})
            elif name in PRODUCTS:
                options = replace(options, **PRODUCTS[name])  # type: ignore[arg-type]
            else:
                known = ", ".join((*SWITCHES, *HOSTILE, *PRODUCTS))
                raise ValueError(
                    f"unknown sandbox case {raw.strip()!r}: choose from messy, tidy, {known}"
                )
        return options

    @property
    def is_tidy(self) -> bool:
        """True for the tidy world (nothing to add to the truth, nothing served differently;
        not the ``tiny`` profile's default, which holds cases: ``Profile.reality``)."""
        return self == RealityOptions()

    @property
    def reports_status(self) -> int:
        """What the Copilot usage-metrics reports answer (404 without a licence)."""
        return self.copilot_reports_status if self.copilot_licence else 404

    @property
    def seats_status(self) -> int:
        """What ``copilot/billing/seats`` answers (404 without a licence)."""
        return self.copilot_seats_status if self.copilot_licence else 404

    @property
    def absent_platforms(self) -> list[str]:
        """Platforms the organisation has no usage of at all (so the world holds none)."""
        return [
            p
            for p, present in (("claude_code", self.claude_code), ("copilot", self.copilot_licence))
            if not present
        ]

    def enabled(self) -> list[str]:
        """The names of the cases that differ from the tidy world, for logs and the truth."""
        tidy = RealityOptions()
        return [f.name for f in fields(self) if getattr(self, f.name) != getattr(tidy, f.name)]


def _products_of(options: RealityOptions) -> dict[str, object]:
    """The product values already chosen, so ``messy`` after ``no_copilot`` keeps it."""
    tidy = RealityOptions()
    return {
        name: getattr(options, name)
        for values in PRODUCTS.values()
        for name in values
        if getattr(options, name) != getattr(tidy, name)
    }
