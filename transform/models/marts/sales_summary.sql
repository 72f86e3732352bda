with

daily as (
    select * from {{ ref('agg_sales_daily') }}
),

customer_months as (
    select * from {{ ref('agg_customer_months') }}
    where revenue_orders > 0
),

first_orders as (
    select
        first_order_date,
        cohort_month,
        first_order_quarter
    from {{ ref('agg_customer_orders') }}
    where revenue_orders > 0
),

day_totals as (
    select
        'day' as period_grain,
        order_date as period_start,
        orders,
        revenue_orders,
        cancelled_orders,
        customers,
        gross_revenue,
        net_revenue,
        gross_profit,
        units_sold,
        returned_units,
        shipping_revenue,
        tax_collected
    from daily
),

month_customers as (
    select
        order_month as period_start,
        count(*) as customers
    from customer_months
    group by order_month
),

quarter_customers as (
    select
        order_quarter as period_start,
        count(distinct customer_id) as customers
    from customer_months
    group by order_quarter
),

{#- Month and quarter rows: the days' additive measures summed; customers counted per period. -#}
{%- for grain in ['month', 'quarter'] %}

{{ grain }}_totals as (
    select
        '{{ grain }}' as period_grain,
        daily.order_{{ grain }} as period_start,
        sum(daily.orders) as orders,
        sum(daily.revenue_orders) as revenue_orders,
        sum(daily.cancelled_orders) as cancelled_orders,
        coalesce(max({{ grain }}_customers.customers), 0) as customers,
        sum(daily.gross_revenue) as gross_revenue,
        sum(daily.net_revenue) as net_revenue,
        {{ sum_known('daily.gross_profit') }} as gross_profit,
        sum(daily.units_sold) as units_sold,
        sum(daily.returned_units) as returned_units,
        sum(daily.shipping_revenue) as shipping_revenue,
        sum(daily.tax_collected) as tax_collected
    from daily
    left join {{ grain }}_customers
        on daily.order_{{ grain }} = {{ grain }}_customers.period_start
    group by daily.order_{{ grain }}
),
{%- endfor %}

periods as (
    select * from day_totals
    union all
    select * from month_totals
    union all
    select * from quarter_totals
),

new_customers as (
    select 'day' as period_grain, first_order_date as period_start, count(*) as new_customers
    from first_orders
    group by first_order_date
    union all
    select 'month' as period_grain, cohort_month as period_start, count(*) as new_customers
    from first_orders
    group by cohort_month
    union all
    select 'quarter' as period_grain, first_order_quarter as period_start, count(*) as new_customers
    from first_orders
    group by first_order_quarter
),

final as (
    select
        cast(periods.period_grain as varchar) as period_grain,
        cast(periods.period_start as date) as period_start,
        cast(periods.orders as bigint) as orders,
        cast(periods.revenue_orders as bigint) as revenue_orders,
        cast(periods.cancelled_orders as bigint) as cancelled_orders,
        cast(periods.customers as bigint) as customers,
        cast(coalesce(new_customers.new_customers, 0) as bigint) as new_customers,
        cast(periods.gross_revenue as decimal(18, 2)) as gross_revenue,
        cast(periods.net_revenue as decimal(18, 2)) as net_revenue,
        cast(periods.gross_profit as decimal(18, 2)) as gross_profit,
        cast({{ marts_ratio('periods.net_revenue', 'periods.revenue_orders', scale=2) }}
            as decimal(18, 2)) as avg_order_value,
        cast({{ marts_ratio('periods.cancelled_orders', 'periods.orders') }}
            as decimal(18, 6)) as cancel_rate,
        cast(periods.units_sold as bigint) as units_sold,
        cast(periods.returned_units as bigint) as returned_units,
        cast({{ marts_ratio('periods.returned_units', 'periods.units_sold') }}
            as decimal(18, 6)) as return_rate,
        cast(periods.shipping_revenue as decimal(18, 2)) as shipping_revenue,
        cast(periods.tax_collected as decimal(18, 2)) as tax_collected
    from periods
    left join new_customers
        on periods.period_grain = new_customers.period_grain
        and periods.period_start = new_customers.period_start
)

select * from final
