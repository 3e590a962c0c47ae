"""``placements synth --check DIR``: every figure of a synthetic authority beside its target.

Each figure is measured from the files alone (children.csv, places.csv, ssda903/*.csv and
synth.json), never from the generator's memory, so a folder edited by hand is judged as it is.
Tolerances (``docs/synth.md``):

- a share: within 2 percentage points, widened to three standard errors of a share of ``n``
  (``3 * sqrt(p * (1 - p) / n)``) when ``n`` is small: an authority of 650 children cannot match
  a national share more closely than sampling allows;
- a ratio or a mean (places per household, weekly costs, starts per year): within 5%;
- a range (children's home costs): inside it.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from placements.calendar import ages_on
from placements.geo import miles
from placements.synth.authority import AGE_SHARES
from placements.synth.geography import geography_of_letters

DFE = "DfE CLA 2024"
OFSTED = "Ofsted Fostering in England 2024"
ASSUMED = "generator assumption (no national figure)"


@dataclass(frozen=True)
class Figure:
    name: str
    target: float
    value: float
    tolerance: float  # absolute, in the figure's own units
    source: str
    kind: str  # share, ratio, range
    n: int = 0
    high: float | None = None  # for a range

    @property
    def ok(self) -> bool:
        if math.isnan(self.value):
            return False
        if self.kind == "range":
            return self.target <= self.value <= (self.high if self.high is not None else math.inf)
        return abs(self.value - self.target) <= self.tolerance + 1e-12

    def shown(self, x: float) -> str:
        if self.kind == "share":
            return f"{100 * x:.1f}%"
        return f"{x:,.2f}" if abs(x) < 100 else f"{x:,.0f}"

    def target_text(self) -> str:
        if self.kind == "range":
            return f"{self.shown(self.target)}-{self.shown(self.high or math.inf)}"
        return self.shown(self.target)

    def tolerance_text(self) -> str:
        if self.kind == "range":
            return "inside"
        if self.kind == "share":
            return f"±{100 * self.tolerance:.1f} pts"
        return f"±{100 * self.tolerance / self.target:.0f}%" if self.target else f"±{self.tolerance}"


def share(name: str, target: float, hits: int | float, n: int, source: str, clusters: int | None = None) -> Figure:
    """``hits`` of ``n`` against ``target``. When the cases come in ``clusters`` that share their
    outcome (siblings), the standard error is that of the number of clusters."""
    value = hits / n if n else float("nan")
    m = clusters if clusters is not None else n
    tol = max(0.02, 3 * math.sqrt(target * (1 - target) / m)) if m else 0.0
    return Figure(name, target, value, tol, source, "share", n)


def ratio(name: str, target: float, value: float, source: str, rel: float = 0.05) -> Figure:
    return Figure(name, target, value, rel * abs(target), source, "ratio")


def mean(name: str, target: float, values: pd.Series, source: str, rel: float = 0.05) -> Figure:
    """A mean within ``rel`` of the target, or three standard errors when there are few values."""
    v = values.dropna().to_numpy(dtype=float)
    se = float(v.std(ddof=1) / math.sqrt(len(v))) if len(v) > 1 else 0.0
    return Figure(
        name, target, float(v.mean()) if len(v) else float("nan"), max(rel * target, 3 * se), source, "ratio", len(v)
    )


def within(name: str, low: float, high: float, value: float, source: str) -> Figure:
    return Figure(name, low, value, 0.0, source, "range", high=high)


# --------------------------------------------------------------------------------------------


def _dates(s: pd.Series) -> pd.Series:
    return pd.to_datetime(s.where(s != "", None), format="%d/%m/%Y", errors="coerce")


def _read(folder: Path) -> dict[str, pd.DataFrame]:
    def csv(p: Path) -> pd.DataFrame:
        return pd.read_csv(p, dtype=str, keep_default_na=False)

    out = {"children": csv(folder / "children.csv"), "places": csv(folder / "places.csv")}
    xml_file = folder / "ssda903" / "ssda903.xml"
    if xml_file.exists():  # written with --ssda903-format xml: the same tables, as text
        from placements.io.ssda903.schema import TABLES
        from placements.io.ssda903.xml import read_rows

        rows, _ = read_rows(xml_file, None, 0)
        for name in ("Header", "Episodes", "Reviews", "SWEpisodes", "UASC"):
            out[name] = pd.DataFrame(
                [[r[c] or "" for c in TABLES[name]] for r in rows.get(name, [])], columns=list(TABLES[name]), dtype=str
            )
        return out
    for name in ("Header", "Episodes", "Reviews", "SWEpisodes", "UASC"):
        out[name] = csv(folder / "ssda903" / f"{name}.csv")
    return out


def _locate(postcodes: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Easting, northing and authority of each postcode (NaN and "" when not in the directory),
    looked up in the sorted directory of the first letters present (fast for all England)."""
    pcs = postcodes.fillna("").to_numpy(dtype=str)
    letters = tuple(sorted({p[0] for p in pcs if p}))
    east, north = np.full(len(pcs), np.nan), np.full(len(pcs), np.nan)
    la = np.full(len(pcs), "", dtype=object)
    if not letters:
        return east, north, la
    geo = geography_of_letters(letters)
    idx = np.clip(np.searchsorted(geo.postcode, pcs), 0, len(geo.postcode) - 1)
    hit = (geo.postcode[idx] == pcs) & (pcs != "")
    east[hit], north[hit], la[hit] = geo.easting[idx[hit]], geo.northing[idx[hit]], geo.la[idx[hit]]
    return east, north, la


def _miles(a: pd.Series, b: pd.Series) -> np.ndarray:
    e1, n1, _ = _locate(a)
    e2, n2, _ = _locate(b)
    return miles(e1, n1, e2, n2)


def _la_of(postcodes: pd.Series) -> np.ndarray:
    return _locate(postcodes)[2]


PLACE_GROUPS: dict[str, tuple[str, ...]] = {
    "kinship foster care": ("U1", "U2", "U3"),
    "other foster care": ("U4", "U5", "U6"),
    "children's homes": ("K2",),
    "secure children's homes": ("K1",),
    "supported accommodation": ("K3", "H5", "P2"),
    "placed with parents": ("P1",),
    "placed for adoption": ("A3", "A4", "A5", "A6"),
    "other residential settings": ("R1", "R2", "R5", "S1"),
}
PLACEMENT_TARGETS = {
    "kinship foster care": 0.163,
    "other foster care": 0.511,
    "children's homes": 0.102,
    "secure children's homes": 0.001,
    "supported accommodation": 0.075,
    "placed with parents": 0.063,
    "placed for adoption": 0.023,
    "other residential settings": 0.015,
    "other placements": 0.045,
}


def _group(place: pd.Series) -> pd.Series:
    out = pd.Series("other placements", index=place.index)
    for g, codes in PLACE_GROUPS.items():
        out[place.isin(codes)] = g
    return out


def measure(folder: Path) -> list[Figure]:
    """Every figure of the folder beside its target."""
    folder = Path(folder)
    meta = json.loads((folder / "synth.json").read_text(encoding="utf-8"))
    t = _read(folder)
    kids, places, eps = t["children"], t["places"], t["Episodes"]
    day = pd.Timestamp(meta["as_of"])
    auths = meta["authorities"]
    n = len(kids)
    figs: list[Figure] = []
    figs.append(ratio("children looked after", sum(a["children"] for a in auths), n, "profile", rel=0.01))

    age = ages_on(pd.to_datetime(kids["date_of_birth"]).to_numpy(), day.date())
    for lo, hi, p in AGE_SHARES:
        label = "under 1" if hi == 0 else (f"{lo}+" if hi == 17 and lo == 16 else f"{lo}-{hi}")
        figs.append(share(f"aged {label}", p, int(((age >= lo) & (age <= hi)).sum()), n, DFE))
    uasc = kids["needs"].str.contains("uasc").to_numpy()
    male = (kids["sex"] == "M").to_numpy()
    figs.append(share("male", 0.57, male.sum(), n, DFE))
    figs.append(share("male, excluding UASC", 0.53, male[~uasc].sum(), int((~uasc).sum()), DFE))
    figs.append(share("UASC", 0.088, uasc.sum(), n, DFE))
    figs.append(share("UASC: male", 0.96, male[uasc].sum(), int(uasc.sum()), DFE))
    figs.append(share("UASC: aged 16+", 0.89, (age[uasc] >= 16).sum(), int(uasc.sum()), DFE))

    # The return on the as-of date: each looked-after child's current episode.
    decom, dec = _dates(eps["DECOM"]), _dates(eps["DEC"])
    open_ = (decom <= day) & (dec.isna() | (dec > day))
    cur = eps[open_.to_numpy()].drop_duplicates("CHILD", keep="last").set_index("CHILD")
    lac = kids["child_id"].to_numpy()
    figs.append(
        share("case-folder children looked after in SSDA903", 1.0, int(np.isin(lac, cur.index).sum()), n, "consistency")
    )
    figs.append(
        share(
            "SSDA903 children looked after in the case folder",
            1.0,
            int(np.isin(cur.index, lac).sum()),
            len(cur),
            "consistency",
        )
    )
    cur = cur.reindex(lac)
    group = _group(cur["PLACE"].fillna(""))
    for g, p in PLACEMENT_TARGETS.items():
        figs.append(share(f"placement: {g}", p, int((group == g).sum()), n, DFE))
    cu = cur[uasc]
    gu = _group(cu["PLACE"].fillna(""))
    figs.append(
        share("UASC: in supported accommodation", 0.44, int((gu == "supported accommodation").sum()), len(cu), DFE)
    )
    figs.append(
        share(
            "UASC: in foster care", 0.37, int(gu.isin(["kinship foster care", "other foster care"]).sum()), len(cu), DFE
        )
    )
    header = t["Header"].set_index("CHILD").reindex(lac)
    eth_groups = {"White": "W", "Mixed": "M", "Black": "B", "Asian": "A", "Other": ("C", "O"), "Not known": ("N", "R")}
    eth_target = {"White": 0.71, "Mixed": 0.11, "Black": 0.07, "Asian": 0.05, "Other": 0.05, "Not known": 0.01}
    first = header["ETHNIC"].fillna("").str[:1]
    for g, letters in eth_groups.items():
        figs.append(share(f"ethnicity: {g}", eth_target[g], int(first.isin(list(letters)).sum()), n, DFE))
    ls = cur["LS"].fillna("")
    figs.append(share("legal status: care order", 0.75, int(ls.isin(["C1", "C2"]).sum()), n, DFE))
    figs.append(share("legal status: s20", 0.19, int(ls.isin(["V2", "V3", "V4"]).sum()), n, DFE))
    figs.append(share("legal status: placement order", 0.06, int(ls.isin(["E1", "D1"]).sum()), n, DFE))
    other_foster = cur["PLACE"].isin(PLACE_GROUPS["other foster care"])
    figs.append(share("other foster care: in-house (council)", 0.47, int((other_foster & (cur["PLACE_PROVIDER"] == "PR1")).sum()),
                      int(other_foster.sum()), "DfE CLA 2024 (derived)"))  # fmt: skip

    # Distance and area (DfE formula), from the current episodes' postcodes.
    both = (cur["HOME_POST"].fillna("") != "") & (cur["PL_POST"].fillna("") != "")
    d = _miles(cur.loc[both, "HOME_POST"], cur.loc[both, "PL_POST"])
    figs.append(share("placed over 20 miles from home", 0.22, int((d > 20).sum()), int(both.sum()), DFE))
    homes = (cur.loc[both, "PLACE"] == "K2").to_numpy()
    figs.append(share("children's homes: over 20 miles", 0.49, int((d[homes] > 20).sum()), int(homes.sum()), DFE))
    la_of_child = kids["local_authority"].to_numpy() if "local_authority" in kids else np.full(n, auths[0]["la_code"])
    districts = {a["la_code"]: set(a["districts"]) for a in auths}
    with_post = (cur["PL_POST"].fillna("") != "").to_numpy()
    pl_la = _la_of(cur["PL_POST"].fillna(""))
    outside = np.array([bool(p) and p not in districts.get(la, {la}) for p, la in zip(pl_la, la_of_child, strict=True)])
    want = {a["la_code"]: a["out_of_area"] for a in auths}
    target = float(np.mean([want.get(la, 0.43) for la in la_of_child[with_post]])) if with_post.any() else 0.43
    src = "DfE CLA 2024 (Nottingham 61%, England 43%)"
    figs.append(share("placed outside the authority", target, int(outside[with_post].sum()), int(with_post.sum()), src))

    # Siblings.
    sib = kids[kids["sibling_group"] != ""]
    sizes = sib.groupby("sibling_group").size()
    sizes = sizes[sizes >= 2]
    figs.append(ratio("sibling group: mean size", 2.45, float(sizes.mean()) if len(sizes) else float("nan"),
                      "Children's Commissioner 2023 (2.3-2.6)", rel=0.06))  # fmt: skip
    placed = sib[(sib["status"] == "placed") & (sib["current_place_id"] != "")]
    homes_per = placed.groupby("sibling_group")["current_place_id"].nunique()
    counted = placed.groupby("sibling_group").size()
    multi = counted[counted >= 2].index
    apart = placed[placed["sibling_group"].isin(multi) & placed["sibling_group"].map(homes_per).gt(1)]
    figs.append(share("siblings living apart from a sibling", 0.37, len(apart), int(placed["sibling_group"].isin(multi).sum()),
                      "Children's Commissioner 2023", clusters=len(multi)))  # fmt: skip

    # Needs.
    needs = kids["needs"]
    figs.append(
        share(
            "needs: emotional or behavioural", 0.33, int(needs.str.contains("emotional_behavioural").sum()), n, ASSUMED
        )
    )
    figs.append(share("needs: disability", 0.075, int(needs.str.contains("disability").sum()), n, ASSUMED))
    teen = age >= 12
    figs.append(share("needs: at risk of exploitation (12+)", 0.065, int(needs[teen].str.contains("exploitation").sum()),
                      int(teen.sum()), ASSUMED))  # fmt: skip

    # Fostering households (not connected-person carers), children's homes, costs.
    num = lambda c: pd.to_numeric(places[c], errors="coerce")  # noqa: E731
    foster = (places["setting"] == "foster") & (places["kinship_for"] == "")
    approved = num("approved_places")[foster]
    figs.append(mean("foster households: approved places each", 2.1, approved, OFSTED))
    total = float(approved.sum())
    figs.append(share("foster places: vacant", 0.16, float(num("vacancies")[foster].sum()), int(total), OFSTED))
    figs.append(
        share("foster places: filled", 0.61, float(num("children_in_placement")[foster].sum()), int(total), OFSTED)
    )
    unavailable = total - num("vacancies")[foster].sum() - num("children_in_placement")[foster].sum()
    figs.append(share("foster places: not available", 0.23, float(unavailable), int(total), "Ofsted 2024 (derived)"))
    nf = int(foster.sum())
    figs.append(
        share("foster households: approved for under-5s", 0.58, int((num("age_min")[foster] <= 4).sum()), nf, ASSUMED)
    )
    figs.append(
        share("foster households: teenagers only (11+)", 0.195, int((num("age_min")[foster] >= 11).sum()), nf, ASSUMED)
    )
    figs.append(
        share(
            "foster households: long-term approval",
            0.27,
            int((places["long_term"][foster] == "yes").sum()),
            nf,
            ASSUMED,
        )
    )
    home = places["setting"] == "residential"
    real_market = "ofsted_urn" in places.columns and bool((places["ofsted_urn"][home] != "").any())
    if not real_market:  # homes from the register are held against the register instead (``_market``)
        figs.append(
            mean("children's homes: places each", 3.8, num("approved_places")[home], "Ofsted 2024 (14,486 / 3,500)")
        )
        figs.append(
            share(
                "children's homes: private",
                0.81,
                int((places["provider"][home] == "private").sum()),
                int(home.sum()),
                DFE,
            )
        )
    cost = num("weekly_cost")
    ifa = foster & (places["provider"] == "ifa")
    pc = ifa & places["meets_needs"].str.contains("parent_and_child")
    figs.append(
        mean("weekly cost: in-house foster", 400, cost[foster & (places["provider"] == "in_house")], "domain.md")
    )
    figs.append(mean("weekly cost: IFA foster", 820, cost[ifa & ~pc], "CMA 2021"))
    figs.append(
        within("weekly cost: parent-and-child IFA", 1400, 1800, float(cost[pc].mean()), "domain.md (about 1,600)")
    )
    figs.append(mean("weekly cost: supported accommodation", 620, cost[places["setting"] == "supported"], "domain.md"))
    figs.append(within("weekly cost: children's homes", 3800, 6100, float(cost[home].mean()), "CMA 2021 to NAO 2025"))

    # Flows and stability in the year to the as-of date.
    year0 = day - pd.Timedelta(days=365)
    starts = int(((eps["RNE"] == "S") & (decom > year0) & (decom <= day)).sum())
    ceases = int((dec.notna() & (dec > year0) & (dec <= day) & (eps["REC"] != "X1")).sum())
    figs.append(
        ratio("starts in the year", sum(a["starts_per_year"] for a in auths), starts, "DfE CLA 2024 (Nottingham 215)")
    )
    figs.append(
        ratio("ceases in the year", sum(a["ceases_per_year"] for a in auths), ceases, "DfE CLA 2024 (Nottingham 264)")
    )
    in_year = (decom <= day) & (dec.isna() | (dec > year0)) & eps["CHILD"].isin(lac) & eps["RNE"].isin(["S", "P", "B"])
    # Placements held in the year: episodes that began one (S, P, B) and were open in the year. A
    # placement that began earlier and continued under a later legal-status (L) episode is missed,
    # so this slightly undercounts.
    moves = eps[in_year.to_numpy()].groupby("CHILD").size().reindex(lac, fill_value=0)
    figs.append(share("3+ placements in the year", 0.10, int((moves >= 3).sum()), n, DFE))
    sw = t["SWEpisodes"]
    swd, swe = _dates(sw["SW_DECOM"]), _dates(sw["SW_DEC"])
    sw_year = (swd <= day) & (swe.isna() | (swe > year0)) & sw["CHILD"].isin(lac)
    workers = sw[sw_year.to_numpy()].groupby("CHILD")["SW_ID"].size().reindex(lac, fill_value=0)
    figs.append(share("3+ social workers in the year", 0.27, int((workers >= 3).sum()), n, DFE))

    if real_market:
        figs.extend(_market(places[home]))

    # Plans and reviews, from the planted ground truth.
    truth = json.loads((folder / "ground_truth.json").read_text(encoding="utf-8"))["counts"]
    figs.append(share("reviews overdue", 0.06, truth["review_overdue"], n, ASSUMED))
    figs.append(
        share("dual permanence plans", 0.04, truth["dual_plan"], n, ASSUMED + "; Ofsted found them at Nottingham")
    )
    return figs


REGISTER = "Ofsted register 31/03/2023 (placements/synth/ofsted_homes.csv)"


def _market(homes: pd.DataFrame) -> list[Figure]:
    """Children's homes taken from Ofsted's register, held against the register itself: each a real home
    used once, with its places and judgement; judgements and sectors in the shares of the register's
    homes of the same authorities (a fixed draw per URN: only sampling can part them)."""
    from placements.synth.market import market

    reg = market().set_index("urn")
    urns = homes["ofsted_urn"]
    known = urns.isin(reg.index)
    n = len(homes)
    figs = [
        share("register homes: a real URN, used once", 1.0, int(known.sum() - urns.duplicated().sum()), n, REGISTER)
    ]
    real = reg.loc[urns[known]]
    same = (pd.to_numeric(homes.loc[known, "approved_places"]).to_numpy() == real["places"].to_numpy()).sum()
    figs.append(share("register homes: places as registered", 1.0, int(same), n, REGISTER))
    # The register's own shares in each authority the folder's homes are in, weighted by its homes there.
    weight = real["la_code"].value_counts()

    def expected(values: pd.Series) -> float:
        return float((values.groupby(reg["la_code"]).mean().reindex(weight.index) * weight).sum() / weight.sum())

    inside = reg[reg["la_code"].isin(weight.index)]
    for label, code in (("Outstanding", "outstanding"), ("Good", "good"),
                        ("Requires improvement", "requires_improvement"), ("Inadequate", "inadequate")):  # fmt: skip
        target = expected((inside["rating"] == code).astype(float))
        figs.append(share(f"register homes: {label}", target, int((homes["ofsted_rating"] == code).sum()), n, REGISTER))
    target = expected((inside["sector"] == "Private").astype(float))
    figs.append(share("register homes: private", target, int((homes["provider"] == "private").sum()), n, REGISTER))
    figs.append(mean("register homes: places each", expected(inside["places"].astype(float)),
                     pd.to_numeric(homes["approved_places"]), REGISTER))  # fmt: skip
    return figs


def check(folder: Path) -> tuple[list[Figure], list[str]]:
    """The figures, and problems that stop the folder being judged at all."""
    folder = Path(folder)
    missing = [
        str(folder / f)
        for f in ("children.csv", "places.csv", "synth.json", "ground_truth.json", "ssda903/Episodes.csv")
        if not (folder / f).exists() and not (f.startswith("ssda903/") and (folder / "ssda903/ssda903.xml").exists())
    ]
    if missing:
        return [], [f"{m}: file not found (is this a `placements synth` folder?)" for m in missing]
    try:
        return measure(folder), []
    except (KeyError, ValueError) as exc:
        return [], [f"{folder}: cannot measure: {exc!r}"]
