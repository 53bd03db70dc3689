-- Sheet Raeumungsklagen: one row per court notice (MiZi) per loaded file version.
select
    file_id,
    bezirk_nr,
    year     as submission_year,
    quarter  as submission_quarter,
    source_row,
    fall_key,
    eingang_mitteilung,
    versand_anschreiben,
    reaktion,
    hausbesuch_1,
    hausbesuch_1_zu_zweit,
    hausbesuch_2,
    hausbesuch_2_zu_zweit,
    ergebnis
from {{ source('raw', 'erhebungsbogen_raeumungsklagen') }}
