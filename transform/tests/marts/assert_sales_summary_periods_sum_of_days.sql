{#- Month and quarter rows of sales_summary equal the sums of their day rows for every additive
    measure, and product_performance's net revenue adds up to the same total. -#}
with

days as (
    select * from {{ ref('sales_summary') }} where period_grain = 'day'
),

periods as (
    select * from {{ ref('sales_summary') }} where period_grain in ('month', 'quarter')
),

summed as (
    select
        periods.period_grain,
        periods.period_start,
        sum(days.orders) as orders,
        sum(days.revenue_orders) as revenue_orders,
        sum(days.cancelled_orders) as cancelled_orders,
        sum(days.new_customers) as new_customers,
        sum(days.gross_revenue) as gross_revenue,
        sum(days.net_revenue) as net_revenue,
        sum(days.gross_profit) as gross_profit,
        sum(days.units_sold) as units_sold,
        sum(days.returned_units) as returned_units,
        sum(days.shipping_revenue) as shipping_revenue,
        sum(days.tax_collected) as tax_collected
    from periods
    inner join days
        on days.period_start >= periods.period_start
        and days.period_start < cast(
            periods.period_start
            + case when periods.period_grain = 'month' then interval '1 month'
                else interval '3 month' end
            as date
        )
    group by periods.period_grain, periods.period_start
),

mismatched_periods as (
    select
        periods.period_grain,
        periods.period_start,
        'period <> sum of its days' as problem
    from periods
    left join summed
        on periods.period_grain = summed.period_grain
        and periods.period_start = summed.period_start
    where summed.period_start is null
        or periods.orders <> summed.orders
        or periods.revenue_orders <> summed.revenue_orders
        or periods.cancelled_orders <> summed.cancelled_orders
        or periods.new_customers <> summed.new_customers
        or periods.gross_revenue <> summed.gross_revenue
        or periods.net_revenue <> summed.net_revenue
        or periods.gross_profit <> summed.gross_profit
        or periods.units_sold <> summed.units_sold
        or periods.returned_units <> summed.returned_units
        or periods.shipping_revenue <> summed.shipping_revenue
        or periods.tax_collected <> summed.tax_collected
),

product_total as (
    select coalesce(sum(net_revenue), 0) as net_revenue from {{ ref('product_performance') }}
),

day_total as (
    select coalesce(sum(net_revenue), 0) as net_revenue from days
)

select * from mismatched_periods
union all
select
    'all' as period_grain,
    cast(null as date) as period_start,
    'product_performance net revenue <> sales_summary net revenue' as problem
from product_total
cross join day_total
where product_total.net_revenue <> day_total.net_revenue
