{#- fact_orders' line totals equal the sums of fact_order_items, day by day (catches an
    incremental run that updated one fact and not the other; aggregating by order_date keeps the
    check to one pass over each fact). Returns the days that disagree. -#}
with

order_totals as (
    select
        order_date,
        sum(item_count) as item_count,
        sum(units) as units,
        sum(returned_units) as returned_units,
        sum(gross_revenue) as gross_revenue,
        sum(net_revenue) as net_revenue,
        sum(case when is_revenue_order then item_count else 0 end) as revenue_order_lines
    from {{ ref('fact_orders') }}
    group by order_date
),

line_totals as (
    select
        order_date,
        count(*) as item_count,
        sum(quantity) as units,
        sum(case when is_returned then quantity else 0 end) as returned_units,
        sum(gross_revenue) as gross_revenue,
        sum(net_revenue) as net_revenue,
        sum(case when is_revenue_order then 1 else 0 end) as revenue_order_lines
    from {{ ref('fact_order_items') }}
    group by order_date
),

final as (
    select
        coalesce(order_totals.order_date, line_totals.order_date) as order_date,
        order_totals.item_count as order_item_count,
        line_totals.item_count as line_item_count,
        order_totals.net_revenue as order_net_revenue,
        line_totals.net_revenue as line_net_revenue
    from order_totals
    full outer join line_totals
        on order_totals.order_date = line_totals.order_date
    where coalesce(order_totals.item_count, 0) <> coalesce(line_totals.item_count, 0)
        or coalesce(order_totals.units, 0) <> coalesce(line_totals.units, 0)
        or coalesce(order_totals.returned_units, 0) <> coalesce(line_totals.returned_units, 0)
        or coalesce(order_totals.gross_revenue, 0) <> coalesce(line_totals.gross_revenue, 0)
        or coalesce(order_totals.net_revenue, 0) <> coalesce(line_totals.net_revenue, 0)
        or coalesce(order_totals.revenue_order_lines, 0)
            <> coalesce(line_totals.revenue_order_lines, 0)
)

select * from final
