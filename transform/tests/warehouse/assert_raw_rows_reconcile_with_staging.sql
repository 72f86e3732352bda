{#- Every raw row is accounted for: raw rows (counted in raw) = staging rows + exact duplicates +
    conflicting copies (counted from staging and the duplicated versions), none negative.
    Returns the tables that do not reconcile. -#}
with

duplicate_counts as (
    select * from {{ ref('staging_duplicate_counts') }}
),

final as (
    select *
    from duplicate_counts
    where raw_rows <> staging_rows + exact_duplicate_rows + conflicting_version_rows
        or exact_duplicate_rows < 0
        or conflicting_version_rows < 0
        or staging_rows < 0
)

select * from final
