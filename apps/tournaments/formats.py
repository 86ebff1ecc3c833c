"""Tournament formats as pure functions: no Django, no database, nothing but numbers and keys.

A format is a list of `MatchSpec`s in play order (every match after the matches that feed it). Each slot
of a match says where its player comes from: a seed, the winner or the loser of another match, or (Swiss)
a seed paired for that round. `bracket_state` replays the results over the specs, so the players of
every match follow from the seeds and the winners alone: undoing a result is forgetting it.

Byes: a bracket of n players is drawn on the next power of two, P; the P - n missing seeds are byes, and
the standard seed order pairs seed s with seed P + 1 - s, so the byes fall to the top seeds. A match with
a bye is no match: its player passes straight on, and the bye's "loser" passes down the losers' side as
a bye too (`_collapse`). So a single elimination of n players has n - 1 matches and a double elimination
2n - 2, or 2n - 1 when the grand final is reset.

Swiss pairing is a maximum-weight perfect matching (networkx): a rematch costs more than every other
difference together, then the score gap, then the rating rank gap, so rematches happen only when no
pairing avoids them.
"""

import math
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from itertools import combinations

SINGLE_ELIMINATION = "single_elimination"
DOUBLE_ELIMINATION = "double_elimination"
ROUND_ROBIN = "round_robin"
SWISS = "swiss"

WINNERS, LOSERS, GRAND_FINAL, ROUND_ROBIN_BRACKET, SWISS_BRACKET = "W", "L", "GF", "RR", "SW"
GLICKO_SCALE = 173.7178
# The race the rating's "a game" is taken to be when a per-rack chance is read from a rating gap.
REFERENCE_RACE = 5


class FormatError(ValueError):
    """The format cannot be drawn for these numbers (too few players, too many groups)."""


@dataclass(frozen=True)
class Source:
    """Where a slot's player comes from: `seed` n, the `winner` or `loser` of match `ref`, or a `bye`."""

    kind: str
    ref: int | str = 0

    def __str__(self) -> str:
        return "bye" if self.kind == "bye" else f"{self.kind}:{self.ref}"

    @classmethod
    def parse(cls, text: str) -> "Source":
        if text == "bye":
            return cls("bye")
        kind, _, ref = text.partition(":")
        if kind not in ("seed", "winner", "loser"):
            raise FormatError(f"unknown slot source {text!r}")
        return cls(kind, int(ref) if kind == "seed" else ref)


BYE = Source("bye")


@dataclass(frozen=True)
class MatchSpec:
    """One match of a format. `stage` orders the queue (lower first), `order` is the bracket order within
    it; `round` is the round as people name it within its bracket. `reset` marks the grand final's second
    match, played only when the losers' side player won the first."""

    key: str
    bracket: str
    round: int
    order: int
    a: Source
    b: Source
    stage: int = 0
    group: str = ""
    final: bool = False
    reset: bool = False


@dataclass(frozen=True)
class Placed:
    """A match's players as the results so far decide them (None: not known yet)."""

    a: int | None = None
    b: int | None = None
    winner: int | None = None
    void: bool = False

    @property
    def loser(self) -> int | None:
        if self.winner is None:
            return None
        return self.b if self.winner == self.a else self.a

    @property
    def ready(self) -> bool:
        """Both players known, not decided, not void: it can be played."""
        return self.a is not None and self.b is not None and self.winner is None and not self.void


# --- Seeding -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Seedable:
    player: int
    rating: float
    manual: int | None = None


def seed_order(entries: Sequence[Seedable], *, method: str, rng: random.Random | None = None) -> list[int]:
    """Players in seed order (seed 1 first). `rating`: highest first; `random`: shuffled by `rng`;
    `manual`: the given seeds first in their order, then everybody else by rating."""
    by_rating = sorted(entries, key=lambda e: (-e.rating, e.player))
    if method == "rating":
        return [e.player for e in by_rating]
    if method == "random":
        players = [e.player for e in sorted(entries, key=lambda e: e.player)]
        (rng or random.Random()).shuffle(players)
        return players
    if method == "manual":
        placed = sorted((e for e in entries if e.manual is not None), key=lambda e: (e.manual or 0, e.player))
        rest = [e for e in by_rating if e.manual is None]
        return [e.player for e in placed] + [e.player for e in rest]
    raise FormatError(f"unknown seeding {method!r}")


def bracket_positions(size: int) -> list[int]:
    """Seeds in slot order for a bracket of `size` (a power of two): seed s meets seed size + 1 - s in the
    first round, and the top seeds meet as late as possible (1, 8, 4, 5, 2, 7, 3, 6 for 8)."""
    order = [1]
    while len(order) < size:
        total = 2 * len(order) + 1
        order = [seed for s in order for seed in (s, total - s)]
    return order


def _bracket_size(players: int) -> int:
    if players < 2:
        raise FormatError("A tournament needs at least two players.")
    return 1 << (players - 1).bit_length()


def first_round_pairs(players: int) -> list[tuple[int, int]]:
    """The seeds that meet in the first round of an elimination bracket of `players` (byes left out)."""
    size = _bracket_size(players)
    positions = bracket_positions(size)
    pairs = [(positions[2 * i], positions[2 * i + 1]) for i in range(size // 2)]
    return [(a, b) for a, b in pairs if a <= players and b <= players]


def keep_apart(order: Sequence[int], apart: set[frozenset[int]]) -> list[int]:
    """`order` (players in seed order) with the players who must not meet (one blocks the other) kept out
    of each other's first-round match wherever a trade of seeds allows: the lower seed of such a pair
    trades places with the nearest seed that also plays in the first round, the first trade that makes
    no such pair of its own. Seeds with a bye keep their players; later rounds depend on results and
    cannot be kept apart."""
    order = list(order)
    pairs = first_round_pairs(len(order))
    opponent = {a: b for a, b in pairs} | {b: a for a, b in pairs}

    def clash(seed: int) -> bool:
        return frozenset((order[seed - 1], order[opponent[seed] - 1])) in apart

    for higher, lower in sorted((min(pair), max(pair)) for pair in pairs):
        if not clash(lower):
            continue
        for other in sorted(opponent, key=lambda seed: (abs(seed - lower), seed)):
            if other in (higher, lower):
                continue
            order[lower - 1], order[other - 1] = order[other - 1], order[lower - 1]
            if not clash(lower) and not clash(other):
                break
            order[lower - 1], order[other - 1] = order[other - 1], order[lower - 1]
    return order


# --- Elimination ---------------------------------------------------------------------------------


def _winners_side(players: int, size: int) -> list[MatchSpec]:
    rounds = size.bit_length() - 1
    specs = []
    positions = bracket_positions(size)
    for index in range(size // 2):
        seeds = positions[2 * index], positions[2 * index + 1]
        a, b = (Source("seed", s) if s <= players else BYE for s in seeds)
        specs.append(MatchSpec(f"W1-{index + 1}", WINNERS, 1, index + 1, a, b, stage=0))
    for round_no in range(2, rounds + 1):
        for index in range(size >> round_no):
            specs.append(
                MatchSpec(
                    f"W{round_no}-{index + 1}",
                    WINNERS,
                    round_no,
                    index + 1,
                    Source("winner", f"W{round_no - 1}-{2 * index + 1}"),
                    Source("winner", f"W{round_no - 1}-{2 * index + 2}"),
                    stage=2 * (round_no - 1),
                )
            )
    return specs


def _losers_side(size: int) -> tuple[list[MatchSpec], Source]:
    """The losers' bracket of a double elimination on `size` slots, and where its champion comes from.

    Losers' round 1 pairs the first round's losers; each even round meets the survivors with the losers
    of the next winners' round (dropped in reverse order every other round, to keep apart those who just
    met); each odd round after the first halves the field."""
    rounds = size.bit_length() - 1
    if rounds == 1:
        return [], Source("loser", "W1-1")
    specs = []
    for index in range(size // 4):
        a, b = Source("loser", f"W1-{2 * index + 1}"), Source("loser", f"W1-{2 * index + 2}")
        specs.append(MatchSpec(f"L1-{index + 1}", LOSERS, 1, index + 1, a, b, stage=1))
    for winners_round in range(2, rounds + 1):
        drop_round = 2 * winners_round - 2
        count = size >> winners_round
        for index in range(count):
            dropped = count - 1 - index if winners_round % 2 == 0 else index
            specs.append(
                MatchSpec(
                    f"L{drop_round}-{index + 1}",
                    LOSERS,
                    drop_round,
                    index + 1,
                    Source("winner", f"L{drop_round - 1}-{index + 1}"),
                    Source("loser", f"W{winners_round}-{dropped + 1}"),
                    stage=drop_round,
                )
            )
        if winners_round < rounds:
            for index in range(count // 2):
                specs.append(
                    MatchSpec(
                        f"L{drop_round + 1}-{index + 1}",
                        LOSERS,
                        drop_round + 1,
                        index + 1,
                        Source("winner", f"L{drop_round}-{2 * index + 1}"),
                        Source("winner", f"L{drop_round}-{2 * index + 2}"),
                        stage=drop_round + 1,
                    )
                )
    return specs, Source("winner", f"L{2 * rounds - 2}-1")


def _collapse(specs: list[MatchSpec]) -> list[MatchSpec]:
    """Drop the matches with a bye: the other player passes on as the winner, a bye as the loser."""
    passed: dict[tuple[str, str | int], Source] = {}

    def through(source: Source) -> Source:
        return passed.get((source.kind, source.ref), source)

    real = []
    for spec in specs:
        a, b = through(spec.a), through(spec.b)
        if BYE in (a, b):
            passed[("winner", spec.key)] = b if a == BYE else a
            passed[("loser", spec.key)] = BYE
            continue
        real.append(replace(spec, a=a, b=b))
    return real


def _mark_final(specs: list[MatchSpec], key: str) -> list[MatchSpec]:
    return [replace(spec, final=True) if spec.key == key else spec for spec in specs]


def single_elimination(players: int) -> list[MatchSpec]:
    size = _bracket_size(players)
    specs = _collapse(_winners_side(players, size))
    return _mark_final(specs, specs[-1].key)


def double_elimination(players: int) -> list[MatchSpec]:
    size = _bracket_size(players)
    rounds = size.bit_length() - 1
    winners = _winners_side(players, size)
    losers, losers_champion = _losers_side(size)
    stage = max(2 * rounds, 2 * rounds - 1) + 1
    grand = [
        MatchSpec("GF1", GRAND_FINAL, 1, 1, Source("winner", f"W{rounds}-1"), losers_champion, stage=stage, final=True),
        MatchSpec(
            "GF2",
            GRAND_FINAL,
            2,
            1,
            Source("loser", "GF1"),
            Source("winner", "GF1"),
            stage=stage + 1,
            final=True,
            reset=True,
        ),
    ]
    ordered = sorted(winners + losers, key=lambda spec: (spec.stage, spec.bracket != WINNERS, spec.order))
    return _collapse(ordered + grand)


# --- Round robin ---------------------------------------------------------------------------------


def group_names(count: int) -> list[str]:
    return [chr(ord("A") + index) if index < 26 else f"G{index + 1}" for index in range(count)]


def round_robin(players: int, *, groups: int = 1) -> list[MatchSpec]:
    """Everybody meets everybody of their group once. Seeds are dealt to the groups like cards going back
    and forth (1 2 3 3 2 1 ...), so every group gets a fair share of the top; each group's rounds come
    from the circle method, an odd group sitting one player out per round."""
    if players < 2:
        raise FormatError("A tournament needs at least two players.")
    if groups < 1 or players < 2 * groups:
        raise FormatError("Every group needs at least two players.")
    members: list[list[int]] = [[] for _ in range(groups)]
    for index in range(players):
        lap, place = divmod(index, groups)
        members[place if lap % 2 == 0 else groups - 1 - place].append(index + 1)
    specs = []
    for name, seeds in zip(group_names(groups), members, strict=True):
        circle: list[int | None] = list(seeds) + ([None] if len(seeds) % 2 else [])
        for round_no in range(1, len(circle)):
            order = 0
            for index in range(len(circle) // 2):
                first, second = circle[index], circle[-1 - index]
                if first is None or second is None:
                    continue
                order += 1
                specs.append(
                    MatchSpec(
                        f"RR-{name}{round_no}-{order}",
                        ROUND_ROBIN_BRACKET,
                        round_no,
                        order,
                        Source("seed", first),
                        Source("seed", second),
                        stage=round_no,
                        group=name,
                    )
                )
            circle = [circle[0], circle[-1], *circle[1:-1]]
    return sorted(specs, key=lambda spec: (spec.stage, spec.group, spec.order))


# --- Swiss ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SwissPlayer:
    player: int
    score: float
    rating: float


def swiss_rank(players: Iterable[SwissPlayer]) -> list[SwissPlayer]:
    return sorted(players, key=lambda p: (-p.score, -p.rating, p.player))


def swiss_pairings(
    players: Sequence[SwissPlayer], *, met: set[frozenset[int]], had_bye: set[int]
) -> tuple[list[tuple[int, int]], int | None]:
    """One Swiss round: pairs (higher ranked first, in rank order) and the player with the bye.

    The bye goes to the lowest-ranked player who has not had one (everybody has: the lowest-ranked). The
    rest are paired by a maximum-weight perfect matching whose weight falls with a rematch (more than
    everything else together), then with the square of the score gap, then with the gap in rank."""
    ranked = swiss_rank(players)
    bye = None
    if len(ranked) % 2:
        without = [p for p in ranked if p.player not in had_bye]
        bye = (without or ranked)[-1].player
        ranked = [p for p in ranked if p.player != bye]
    count = len(ranked)
    if count == 0:
        return [], bye
    rank = {p.player: index for index, p in enumerate(ranked)}
    score_gaps = max(1.0, max(p.score for p in ranked) - min(p.score for p in ranked))
    rank_weight = 1
    score_weight = count * count + 1
    rematch_weight = score_weight * int(math.ceil(score_gaps * score_gaps * 4) + 1) * count + 1
    base = rematch_weight * count + 1
    import networkx as nx  # a Swiss round's pairing only: not worth its start-up in every other process

    graph = nx.Graph()
    for first, second in combinations(ranked, 2):
        cost = rank_weight * abs(rank[first.player] - rank[second.player])
        cost += score_weight * round(4 * (first.score - second.score) ** 2)
        if frozenset((first.player, second.player)) in met:
            cost += rematch_weight
        graph.add_edge(first.player, second.player, weight=base - cost)
    matching = nx.max_weight_matching(graph, maxcardinality=True)
    pairs = [tuple(sorted(pair, key=lambda player: rank[player])) for pair in matching]
    return sorted(((a, b) for a, b in pairs), key=lambda pair: rank[pair[0]]), bye


def swiss_round_specs(round_no: int, pairs: Sequence[tuple[int, int]], seed_of: dict[int, int]) -> list[MatchSpec]:
    return [
        MatchSpec(
            f"S{round_no}-{index + 1}",
            SWISS_BRACKET,
            round_no,
            index + 1,
            Source("seed", seed_of[a]),
            Source("seed", seed_of[b]),
            stage=round_no,
        )
        for index, (a, b) in enumerate(pairs)
    ]


# --- Replaying results ---------------------------------------------------------------------------


def bracket_state(specs: Sequence[MatchSpec], seeds: dict[int, int], winners: dict[str, int]) -> dict[str, Placed]:
    """Every match's players and winner from the seeds (seed -> player) and the winners so far (key ->
    player). A reset grand final is void once the first one went to the winners' side player."""
    state: dict[str, Placed] = {}

    def player(source: Source) -> int | None:
        if source.kind == "seed":
            return seeds.get(int(source.ref))
        placed = state.get(str(source.ref))
        if placed is None or placed.void:
            return None
        return placed.winner if source.kind == "winner" else placed.loser

    for spec in specs:
        a, b = player(spec.a), player(spec.b)
        if spec.reset:
            first = state.get(str(spec.b.ref))
            if first is not None and first.winner is not None and first.winner == first.a:
                state[spec.key] = Placed(void=True)
                continue
        winner = winners.get(spec.key)
        if winner is not None and winner not in (a, b):
            winner = None
        state[spec.key] = Placed(a, b, winner if a is not None and b is not None else None)
    return state


def champion(specs: Sequence[MatchSpec], state: dict[str, Placed]) -> int | None:
    """The elimination winner once the last match that is played is decided."""
    played = [spec for spec in specs if not state[spec.key].void]
    if not played or any(state[spec.key].winner is None for spec in played):
        return None
    return state[played[-1].key].winner


def downstream(specs: Sequence[MatchSpec], key: str) -> set[str]:
    """Keys of every match whose players depend on `key`'s result."""
    found: set[str] = set()
    frontier = {key}
    while frontier:
        fed = {spec.key for spec in specs if {str(spec.a.ref), str(spec.b.ref)} & frontier and spec.key not in found}
        fed -= {key}
        found |= fed
        frontier = fed
    return found


# --- Standings -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Game:
    a: int
    b: int
    winner: int
    racks_a: int = 0
    racks_b: int = 0


@dataclass
class Standing:
    player: int
    rating: float
    played: int = 0
    wins: int = 0
    losses: int = 0
    byes: int = 0
    racks_for: int = 0
    racks_against: int = 0
    buchholz: float = 0.0
    head_to_head: int = 0
    opponents: list[int] = field(default_factory=list)

    @property
    def points(self) -> int:
        return self.wins + self.byes

    @property
    def rack_difference(self) -> int:
        return self.racks_for - self.racks_against


def standings(
    players: Sequence[tuple[int, float]], games: Iterable[Game], *, byes: Iterable[int] = (), swiss: bool = False
) -> list[Standing]:
    """The table, best first. Points are wins (and byes). Ties: head-to-head wins among the tied players
    (round robin) or Buchholz, the opponents' points (Swiss); then rack difference, racks won, rating."""
    rows = {player: Standing(player, rating) for player, rating in players}
    played = list(games)
    for game in played:
        loser = game.b if game.winner == game.a else game.a
        for player, own, other in ((game.a, game.racks_a, game.racks_b), (game.b, game.racks_b, game.racks_a)):
            row = rows[player]
            row.played += 1
            row.racks_for += own
            row.racks_against += other
            row.opponents.append(game.b if player == game.a else game.a)
        rows[game.winner].wins += 1
        rows[loser].losses += 1
    for player in byes:
        rows[player].byes += 1
    for row in rows.values():
        row.buchholz = float(sum(rows[opponent].points for opponent in row.opponents))
    tied: dict[int, set[int]] = {}
    for row in rows.values():
        tied.setdefault(row.points, set()).add(row.player)
    for game in played:
        if game.a in tied[rows[game.a].points] and game.b in tied[rows[game.a].points]:
            rows[game.winner].head_to_head += 1

    def key(row: Standing) -> tuple[float, ...]:
        second = row.buchholz if swiss else row.head_to_head
        return (-row.points, -second, -row.rack_difference, -row.racks_for, -row.rating, row.player)

    return sorted(rows.values(), key=key)


# --- Chances and handicaps -----------------------------------------------------------------------


def expected_score(rating_a: float, deviation_a: float, rating_b: float, deviation_b: float) -> float:
    """Glicko-2's chance that A wins a game against B, both ratings' uncertainty counted."""
    phi = math.hypot(deviation_a, deviation_b) / GLICKO_SCALE
    g = 1 / math.sqrt(1 + 3 * phi * phi / math.pi**2)
    return 1 / (1 + math.exp(-g * (rating_a - rating_b) / GLICKO_SCALE))


def race_win_probability(rack: float, race_a: int, race_b: int) -> float:
    """The chance A reaches `race_a` racks before B reaches `race_b`, A winning each rack with `rack`."""
    return sum(math.comb(race_a - 1 + k, k) * rack**race_a * (1 - rack) ** k for k in range(race_b))


def rack_chance(game_chance: float, *, race: int = REFERENCE_RACE) -> float:
    """The per-rack chance that makes a race of `race` each a win with `game_chance` (bisection)."""
    low, high = 0.0, 1.0
    for _ in range(60):
        middle = (low + high) / 2
        if race_win_probability(middle, race, race) < game_chance:
            low = middle
        else:
            high = middle
    return (low + high) / 2


def handicap_races(game_chance_a: float, race: int) -> tuple[int, int]:
    """Races (A's, B's) so that both have as even a chance as whole racks allow: the stronger player keeps
    `race`, the weaker one's race shortens; an even tie keeps the longer race."""
    if game_chance_a == 0.5:
        return race, race
    stronger_chance = max(game_chance_a, 1 - game_chance_a)
    rack = rack_chance(stronger_chance)
    best = min(range(1, race + 1), key=lambda own: (abs(race_win_probability(rack, race, own) - 0.5), -own))
    return (race, best) if game_chance_a > 0.5 else (best, race)


def match_win_probability(game_chance_a: float, race_a: int, race_b: int) -> float:
    """A's chance to win a race of (race_a, race_b) given A's chance in a game at the reference race."""
    return race_win_probability(rack_chance(game_chance_a), race_a, race_b)


# --- Time ---------------------------------------------------------------------------------------


@cache
def racks_left(need_a: int, need_b: int) -> float:
    """Expected racks still to play when A needs `need_a` more and B `need_b`, each rack a coin toss."""
    if need_a <= 0 or need_b <= 0:
        return 0.0
    return 1 + 0.5 * racks_left(need_a - 1, need_b) + 0.5 * racks_left(need_a, need_b - 1)


@dataclass(frozen=True)
class Running:
    key: str
    players: tuple[int, int]
    racks: float  # expected racks still to play


@dataclass(frozen=True)
class Waiting:
    key: str
    players: tuple[int | None, int | None]
    feeders: tuple[str, ...]  # matches whose results decide the unknown players
    racks: float  # expected racks of the whole match


def estimate_starts(
    *, free_tables: int, running: Sequence[Running], waiting: Sequence[Waiting], minutes_per_rack: float
) -> dict[str, float]:
    """Minutes from now until each waiting match is expected to start: the queue is played in order on
    whichever table frees first, a match no sooner than its players are free (known ones from their
    running match, unknown ones from the end of the match that decides them)."""
    tables = sorted([0.0] * free_tables + [match.racks * minutes_per_rack for match in running])
    ends = {match.key: match.racks * minutes_per_rack for match in running}
    player_free = {player: ends[match.key] for match in running for player in match.players}
    starts: dict[str, float] = {}
    pending = list(waiting)
    while pending and tables:
        progressed = False
        for match in list(pending):
            if any(feeder not in ends for feeder in match.feeders):
                continue
            ready = max(
                [ends[feeder] for feeder in match.feeders]
                + [player_free.get(player, 0.0) for player in match.players if player is not None],
                default=0.0,
            )
            table_at = tables.pop(0)
            start = max(table_at, ready)
            end = start + match.racks * minutes_per_rack
            starts[match.key] = start
            ends[match.key] = end
            for player in match.players:
                if player is not None:
                    player_free[player] = end
            tables.append(end)
            tables.sort()
            pending.remove(match)
            progressed = True
            break
        if not progressed:
            break
    return starts


# --- Calling -------------------------------------------------------------------------------------


def pick_calls(
    ready: Sequence[tuple[str, int, int]], *, busy: set[int], free_tables: Sequence[int]
) -> list[tuple[str, int]]:
    """(match key, table) for as many free tables as there are ready matches to fill them: each table in
    turn takes the first match in queue order whose players are both free, and they are then busy."""
    busy = set(busy)
    taken: set[str] = set()
    calls = []
    for table in free_tables:
        for key, a, b in ready:
            if key in taken or a in busy or b in busy or a == b:
                continue
            calls.append((key, table))
            taken.add(key)
            busy |= {a, b}
            break
    return calls


def score_fits(score_a: int, score_b: int, *, race_a: int, race_b: int) -> bool:
    """A final score of a race: exactly one player reached their race, the other stopped short of theirs."""
    if score_a < 0 or score_b < 0:
        return False
    return (score_a == race_a and score_b < race_b) or (score_b == race_b and score_a < race_a)
