"""The SSDA903 tables as the DfE publishes them in CSV form.

A table is known by its exact column set, whatever its file is called. This module is the one
place the column lists live: the synthetic generator writes them, the reader recognises them.
"""

from __future__ import annotations

#: table name -> columns, in the DfE order.
TABLES: dict[str, tuple[str, ...]] = {
    "Header": ("CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB"),
    "Episodes": (
        "CHILD",
        "DECOM",
        "RNE",
        "LS",
        "CIN",
        "PLACE",
        "PLACE_PROVIDER",
        "DEC",
        "REC",
        "REASON_PLACE_CHANGE",
        "HOME_POST",
        "PL_POST",
        "URN",
    ),
    "Reviews": ("CHILD", "DOB", "REVIEW", "REVIEW_CODE"),
    "UASC": ("CHILD", "SEX", "DOB", "DUC"),
    "AD1": ("CHILD", "DOB", "DATE_INT", "DATE_MATCH", "FOSTER_CARE", "NB_ADOPTR", "SEX_ADOPTR", "LS_ADOPTR"),
    "PlacedAdoption": ("CHILD", "DOB", "DATE_PLACED", "DATE_PLACED_CEASED", "REASON_PLACED_CEASED"),
    "PrevPerm": ("CHILD", "DOB", "PREV_PERM", "LA_PERM", "DATE_PERM"),
    "Missing": ("CHILD", "DOB", "MISSING", "MIS_START", "MIS_END"),
    "OC2": (
        "CHILD",
        "DOB",
        "SDQ_SCORE",
        "SDQ_REASON",
        "CONVICTED",
        "HEALTH_CHECK",
        "IMMUNISATIONS",
        "TEETH_CHECK",
        "HEALTH_ASSESSMENT",
        "SUBSTANCE_MISUSE",
        "INTERVENTION_RECEIVED",
        "INTERVENTION_OFFERED",
    ),
    "OC3": ("CHILD", "DOB", "IN_TOUCH", "ACTIV", "ACCOM"),
    "SWEpisodes": ("CHILD", "DOB", "SW_ID", "SW_DECOM", "SW_DEC", "SW_REASON"),
}

#: Columns holding dates, per table (DD/MM/YYYY in the DfE return, ISO in regional extracts).
DATE_COLUMNS: dict[str, tuple[str, ...]] = {
    "Header": ("DOB", "MC_DOB"),
    "Episodes": ("DECOM", "DEC"),
    "Reviews": ("DOB", "REVIEW"),
    "UASC": ("DOB", "DUC"),
    "AD1": ("DOB", "DATE_INT", "DATE_MATCH"),
    "PlacedAdoption": ("DOB", "DATE_PLACED", "DATE_PLACED_CEASED"),
    "PrevPerm": ("DOB", "DATE_PERM"),
    "Missing": ("DOB", "MIS_START", "MIS_END"),
    "OC2": ("DOB",),
    "OC3": ("DOB",),
    "SWEpisodes": ("DOB", "SW_DECOM", "SW_DEC"),
}

#: Extra columns of the regional (London LIIA style) variant, on every table.
REGIONAL_COLUMNS: tuple[str, ...] = ("LA", "YEAR")

#: The DfE date format of the return.
DFE_DATE_FORMAT = "%d/%m/%Y"
