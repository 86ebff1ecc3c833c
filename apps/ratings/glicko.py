"""Glicko-2 through the `glicko2` library: one rating period per game, both players updated at once."""

from dataclasses import dataclass

import glicko2


@dataclass(frozen=True)
class Rating:
    rating: float
    deviation: float
    volatility: float


def rate_game(first: Rating, second: Rating, first_score: float) -> tuple[Rating, Rating]:
    """New ratings of both players after one game; `first_score` is 1 (first won), 0.5 (tie) or 0.

    Each side is updated against the other's rating from before the game.
    """
    a = glicko2.Player(rating=first.rating, rd=first.deviation, vol=first.volatility)
    b = glicko2.Player(rating=second.rating, rd=second.deviation, vol=second.volatility)
    a.update_player([second.rating], [second.deviation], [first_score])
    b.update_player([first.rating], [first.deviation], [1.0 - first_score])
    return Rating(a.rating, a.rd, a.vol), Rating(b.rating, b.rd, b.vol)
