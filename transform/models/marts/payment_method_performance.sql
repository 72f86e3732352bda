with

orders as (
    select
        coalesce(payment_method, 'unknown') as payment_method,
        order_month,
        is_revenue_order,
        is_cancelled,
        net_revenue
    from {{ ref('fact_orders') }}
),

method_months as (
    select
        payment_method,
        order_month,
        count(*) as orders,
        sum(case when is_revenue_order then 1 else 0 end) as revenue_orders,
        sum(case when is_cancelled then 1 else 0 end) as cancelled_orders,
        sum(net_revenue) as net_revenue
    from orders
    group by payment_method, order_month
),

month_totals as (
    select
        order_month,
        sum(net_revenue) as month_net_revenue
    from method_months
    group by order_month
),

final as (
    select
        cast(method_months.payment_method as varchar) as payment_method,
        cast(method_months.order_month as date) as period_start,
        cast(method_months.orders as bigint) as orders,
        cast(method_months.revenue_orders as bigint) as revenue_orders,
        cast(method_months.cancelled_orders as bigint) as cancelled_orders,
        cast(method_months.net_revenue as decimal(18, 2)) as net_revenue,
        cast({{ marts_ratio('method_months.net_revenue', 'month_totals.month_net_revenue') }}
            as decimal(18, 6)) as share_of_revenue,
        cast({{ marts_ratio('method_months.cancelled_orders', 'method_months.orders') }}
            as decimal(18, 6)) as cancel_rate
    from method_months
    inner join month_totals
        on method_months.order_month = month_totals.order_month
)

select * from final
