"""A small register in the CSV formats of docs/rules.md, "Bulk formats", for the import tests.

Columns are deliberately out of the documented order, names are Cyrillic and
Kazakh, and firms.csv starts with a UTF-8 BOM, as Excel writes it.
"""

from pathlib import Path

# Valid BINs/IINs (check digits computed with registry.validators.bin_check_digit).
ALTYN_BIN = "220140000018"
KARAGANDA_BIN = "220140000028"
ERLAN_IIN = "850101300015"

FIRMS = f"""\ufeffemail,region,name,bin,address
info@altyn.kz,pavlodar,ТОО «Алтын Хэш»,{ALTYN_BIN},"г. Павлодар, ул. Ломова, 1"
,karaganda,Қарағанды Майнинг ЖШС,{KARAGANDA_BIN},
"""

OWNERS = f"""is_pep,share_percent,role,iin,full_name,person_id,firm_bin
true,60,beneficial_owner,{ERLAN_IIN},Ержанов Ерлан Серікұлы,P-001,{ALTYN_BIN}
false,,director,,Иванова Анна Петровна,P-002,{ALTYN_BIN}
"""

GRID_CONNECTIONS = f"""tariff,region,operator,meter_id,consumer_name,consumer_bin,address,contracted_mw
industrial,pavlodar,АО «Павлодарская РЭК»,PV-1001,ТОО «Алтын Хэш»,{ALTYN_BIN},,12.5
industrial,pavlodar,АО «Павлодарская РЭК»,PV-1002,,,,
agricultural,karaganda,ТОО «Караганды Жарык»,KR-2001,Фермер Ахметов,,с. Ботакара,
"""

FACILITIES = f"""capacity_mw,meter_ids,firm_bin,ref,name,region,latitude,longitude,address,devices
10,PV-1001;PV-1002,{ALTYN_BIN},ALT-1,Площадка №1,pavlodar,52.287,76.967,,3500
2.5,KR-2001,{KARAGANDA_BIN},KRG-1,Қарағанды алаңы,karaganda,,,,
"""

LICENCES = f"""status,valid_until,valid_from,capacity_mw,facility_refs,firm_bin,number,subtype
active,2026-12-31,2024-01-01,10,ALT-1,{ALTYN_BIN},KZ-DM-2024-000101,I
expired,2023-12-31,2023-01-01,2.5,KRG-1,{KARAGANDA_BIN},KZ-DM-2023-000050,II
"""

DECLARATIONS = """power_source,devices,peak_mw,consumed_mwh,month,facility_ref
grid_exchange,3400,9.8,6800.5,2025-01,ALT-1
own_renewable,,,1200,2025-02,ALT-1
"""

REGISTER = {
    "firms.csv": FIRMS,
    "owners.csv": OWNERS,
    "grid_connections.csv": GRID_CONNECTIONS,
    "facilities.csv": FACILITIES,
    "licences.csv": LICENCES,
    "declarations.csv": DECLARATIONS,
}


def write_files(directory: Path, files: dict[str, str | bytes]) -> Path:
    """Write each file (text as UTF-8, bytes as they are) into the directory; return it."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        data = content if isinstance(content, bytes) else content.encode("utf-8")
        (directory / name).write_bytes(data)
    return directory
