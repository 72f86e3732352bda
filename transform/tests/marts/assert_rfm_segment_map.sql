{#- The segment map macro against the documented table (rfm_segment_map): every (R, F, M)
    combination of scores 1..5 maps to the segment of its R row and mean(F, M) column. -#}
with

scores as (
    select 1 as score union all select 2 union all select 3 union all select 4 union all select 5
),

combinations as (
    select
        r.score as r_score,
        f.score as f_score,
        m.score as m_score,
        case
            when f.score + m.score <= 3 then 1
            when f.score + m.score <= 5 then 2
            when f.score + m.score <= 7 then 3
            else 4
        end as fm_band
    from scores as r
    cross join scores as f
    cross join scores as m
),

documented_map (r_score, fm_band, rfm_segment) as (
    select 5, 1, 'New Customers' union all
    select 5, 2, 'Potential Loyalists' union all
    select 5, 3, 'Loyal Customers' union all
    select 5, 4, 'Champions' union all
    select 4, 1, 'Promising' union all
    select 4, 2, 'Potential Loyalists' union all
    select 4, 3, 'Loyal Customers' union all
    select 4, 4, 'Champions' union all
    select 3, 1, 'About to Sleep' union all
    select 3, 2, 'Need Attention' union all
    select 3, 3, 'Loyal Customers' union all
    select 3, 4, 'Loyal Customers' union all
    select 2, 1, 'Hibernating' union all
    select 2, 2, 'About to Sleep' union all
    select 2, 3, 'At Risk' union all
    select 2, 4, 'At Risk' union all
    select 1, 1, 'Lost' union all
    select 1, 2, 'Hibernating' union all
    select 1, 3, 'At Risk' union all
    select 1, 4, 'Cannot Lose Them'
)

select
    combinations.*,
    documented_map.rfm_segment as documented_segment,
    {{ marts_rfm_segment('combinations.r_score', 'combinations.f_score', 'combinations.m_score') }}
        as macro_segment
from combinations
left join documented_map
    on combinations.r_score = documented_map.r_score
    and combinations.fm_band = documented_map.fm_band
where documented_map.rfm_segment is null
    or documented_map.rfm_segment
    <> {{ marts_rfm_segment('combinations.r_score', 'combinations.f_score', 'combinations.m_score') }}
