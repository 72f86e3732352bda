-- The marts describe every order loaded, as of var('as_of_date'). An as-of date on or before the
-- last order date in fact_orders would give negative recency and tenure and count orders "from
-- the future"; it fails here, on fact_orders, so `dbt build` skips the marts instead of writing
-- wrong ones. Default as-of (no var): the day after the last order, which always passes.
-- To look at an earlier date, build a warehouse loaded up to that date (`ecom load --until`).

with

last_order as (
    select max(order_date) as last_order_date
    from {{ ref('fact_orders') }}
),

checked as (
    select
        last_order_date,
        {{ as_of_date() }} as as_of_date
    from last_order
),

final as (
    select *
    from checked
    where last_order_date >= as_of_date
)

select * from final
