"""Alternative keys: resolution through two levels of foreign keys, and back."""

from __future__ import annotations

import sqlite3

import pytest
from pydantic import Field

from lythonic.state import AltKeyError, DbModel, Schema
from lythonic.state.alt_key import AltKey, JoinStep


class Region(DbModel["Region"]):
    id: int = Field(default=-1, description="(PK)")
    code: str = Field(description="(AK) Region code like 'us-west'")
    name: str


class Team(DbModel["Team"]):
    id: int = Field(default=-1, description="(PK)")
    region_id: int = Field(description="(AK)(FK:Region.id)")
    name: str = Field(description="(AK) unique within a region")


class Player(DbModel["Player"]):
    id: int = Field(default=-1, description="(PK)")
    team_id: int = Field(description="(FK:Team.id)(AK)")
    jersey_number: int = Field(description="(AK)")
    player_name: str


class Stat(DbModel["Stat"]):
    id: int = Field(default=-1, description="(PK)")
    player_id: int = Field(description="(FK:Player.id)")
    points: int


SCHEMA = Schema([Region, Team, Player, Stat])


@pytest.fixture
def league(conn: sqlite3.Connection) -> sqlite3.Connection:
    SCHEMA.create_tables(conn)
    west = Region(code="us-west", name="West").save(conn)
    east = Region(code="us-east", name="East").save(conn)
    for region in (west, east):
        team = Team(region_id=region.id, name="Eagles").save(conn)
        Player(team_id=team.id, jersey_number=7, player_name=f"Seven {region.code}").save(conn)
    return conn


def test_chain_and_leaf_names() -> None:
    """The join chain walks FKs depth first with aliases _j1, _j2; leaves list join columns first."""
    ak = Player._get_alt_key()
    assert ak is not None
    assert ak._join_chain == [
        JoinStep("_t", "team_id", "Team", "id", "_j1", ["name"]),
        JoinStep("_j1", "region_id", "Region", "id", "_j2", ["code"]),
    ]
    assert ak.get_leaf_ak_names() == ["name", "code", "jersey_number"]


def test_resolve_through_two_levels(league: sqlite3.Connection) -> None:
    """Player is found by region code, team name and jersey number; a miss is None."""
    pk = Player.resolve_ak(league, code="us-east", name="Eagles", jersey_number=7)
    player = Player.load_by_id(league, pk)
    assert player is not None
    assert player.player_name == "Seven us-east"
    assert Player.load_by_ak(league, code="us-west", name="Eagles", jersey_number=7) is not None
    assert Player.resolve_ak(league, code="eu", name="Eagles", jersey_number=7) is None
    assert Region.resolve_ak(league, code="us-west") == 1


def test_to_ak_dict_nests_multi_leaf_keys(league: sqlite3.Connection) -> None:
    """FK parts become the referenced key: a scalar for one leaf, a dict of leaves otherwise."""
    team = Team.load_by_ak(league, code="us-east", name="Eagles")
    assert team is not None
    assert team.to_ak_dict(league) == {"region_id": "us-east", "name": "Eagles"}
    players = Player.select(league, order_by="id")
    dicts = Player.to_ak_dicts(league, players)
    assert dicts == [
        {"team_id": {"name": "Eagles", "code": "us-west"}, "jersey_number": 7},
        {"team_id": {"name": "Eagles", "code": "us-east"}, "jersey_number": 7},
    ]
    flat = {**dicts[1]["team_id"], "jersey_number": 7}
    assert Player.resolve_ak(league, **flat) == players[1].id
    assert Region.to_ak_dicts(league, []) == []


def test_single_leaf_fk_resolves_by_its_field_name(league: sqlite3.Connection) -> None:
    """A one-leaf FK part may be given by the FK field's name, so to_ak_dict output resolves back."""
    team = Team.load_by_ak(league, region_id="us-east", name="Eagles")
    assert team is not None
    assert Team.resolve_ak(league, **team.to_ak_dict(league)) == team.id
    with pytest.raises(AltKeyError, match="give 'region_id' or 'code', not both"):
        Team.resolve_ak(league, region_id="us-east", code="us-east", name="Eagles")


def test_unique_constraint_on_alt_key(league: sqlite3.Connection) -> None:
    """The AK columns are UNIQUE in the table."""
    with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
        Region(code="us-west", name="Again").save(league)


def test_bad_resolve_arguments(league: sqlite3.Connection) -> None:
    """Missing or unknown leaf names raise AltKeyError naming the model."""
    with pytest.raises(AltKeyError, match="Player: missing AK value for 'code'"):
        Player.resolve_ak(league, name="Eagles", jersey_number=7)
    with pytest.raises(AltKeyError, match=r"Player: unknown alternative key name.* colour"):
        Player.resolve_ak(league, code="x", name="y", jersey_number=1, colour="red")
    with pytest.raises(AltKeyError, match="Stat has no alternative key defined"):
        Stat.resolve_ak(league, player_id=1)
    with pytest.raises(AltKeyError, match="Player: no row with id=99"):
        Player(id=99, team_id=1, jersey_number=1, player_name="x").to_ak_dict(league)


# Models never put in a Schema: their chain is built on first use.
class Country(DbModel["Country"]):
    country_id: int = Field(default=-1, description="(PK)")
    iso: str = Field(description="(AK)")


class City(DbModel["City"]):
    city_id: int = Field(default=-1, description="(PK)")
    country_id: int = Field(description="(AK)(FK:Country.country_id)")
    city: str = Field(description="(AK)")


class Street(DbModel["Street"]):
    street_id: int = Field(default=-1, description="(PK)")
    city_id: int = Field(description="(FK:City.city_id)(AK)")
    street: str = Field(description="(AK)")


def test_resolution_without_schema(conn: sqlite3.Connection) -> None:
    """Without a Schema the chain is built lazily from the loaded models, two levels deep."""
    for model in (Country, City, Street):
        conn.execute(model.create_ddl())
    c = Country(iso="FR").save(conn)
    city = City(country_id=c.country_id, city="Paris").save(conn)
    s = Street(city_id=city.city_id, street="Rivoli").save(conn)
    assert Street.resolve_ak(conn, iso="FR", city="Paris", street="Rivoli") == s.street_id
    assert s.to_ak_dict(conn) == {"city_id": {"city": "Paris", "iso": "FR"}, "street": "Rivoli"}


def test_lazy_resolution_asks_for_schema_when_ambiguous(conn: sqlite3.Connection) -> None:
    """Two loaded models with the referenced table name give a clear error asking for a Schema."""

    def make_owner() -> type[DbModel]:  # type: ignore[type-arg]
        class Owner(DbModel["Owner"]):
            owner_id: int = Field(default=-1, description="(PK)")
            key: str = Field(description="(AK)")

        return Owner

    first, second = make_owner(), make_owner()

    class Pet(DbModel["Pet"]):
        pet_id: int = Field(default=-1, description="(PK)")
        owner_id: int = Field(description="(FK:Owner.owner_id)(AK)")

    with pytest.raises(
        AltKeyError, match=r"Pet: .*references table 'Owner', and 2 loaded .*build Schema"
    ):
        Pet.resolve_ak(conn, key="x")
    Schema([first, Pet])
    conn.execute(first.create_ddl())
    conn.execute(Pet.create_ddl())
    o = first(key="x").save(conn)
    Pet(owner_id=o.owner_id).save(conn)  # type: ignore[attr-defined]
    assert Pet.resolve_ak(conn, key="x") == 1
    assert second is not first


def test_alt_key_without_chain_says_what_to_do(conn: sqlite3.Connection) -> None:
    """An AltKey with FK parts and no chain refuses to resolve rather than ignore the FK."""
    ak = AltKey.from_model(Team)
    assert ak is not None
    with pytest.raises(AltKeyError, match="call build_chain\\(\\) or build Schema"):
        ak.resolve(conn, code="x", name="y")


def test_schema_validates_alt_key_references() -> None:
    """Schema refuses AK FKs to itself, to tables outside it, or to tables without an AK."""

    class Loop(DbModel["Loop"]):
        loop_id: int = Field(default=-1, description="(PK)")
        parent: int = Field(description="(FK:Loop.loop_id)(AK)")

    with pytest.raises(AltKeyError, match=r"Loop.parent: self-referential FK in AK is disallowed"):
        Schema([Loop])
    with pytest.raises(
        AssertionError, match=r"Team.region_id: FK references 'Region' which is not in schema"
    ):
        Schema([Team])

    class Plain(DbModel["Plain"]):
        plain_id: int = Field(default=-1, description="(PK)")

    class Child(DbModel["Child"]):
        child_id: int = Field(default=-1, description="(PK)")
        plain_id: int = Field(description="(FK:Plain.plain_id)(AK)")

    with pytest.raises(
        AltKeyError, match=r"Child.plain_id: FK references 'Plain' which has no alternative key"
    ):
        Schema([Plain, Child])


def test_colliding_leaf_names_are_refused(conn: sqlite3.Connection) -> None:
    """A leaf name used by two tables of one key cannot be resolved and says so."""

    class Club(DbModel["Club"]):
        club_id: int = Field(default=-1, description="(PK)")
        name: str = Field(description="(AK)")

    class Member(DbModel["Member"]):
        member_id: int = Field(default=-1, description="(PK)")
        club_id: int = Field(description="(FK:Club.club_id)(AK)")
        name: str = Field(description="(AK)")

    Schema([Club, Member])
    with pytest.raises(
        AltKeyError, match="Member: leaf key name\\(s\\) name occur in more than one table"
    ):
        Member.resolve_ak(conn, name="x")
