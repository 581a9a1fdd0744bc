-- dim_as_of_dates must hold exactly one row: every pending/measured decision reads it with a
-- cross join, so zero rows would silently empty facts and two would duplicate them.

select count(*) as row_count

from {{ ref('dim_as_of_dates') }}

having count(*) != 1
