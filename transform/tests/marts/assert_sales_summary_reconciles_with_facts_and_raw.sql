{#-
    Revenue reconciliation, per order date: sales_summary (day rows) = the sum over
    fact_order_items = a recomputation straight from the raw layer (latest version of every
    order and line, lines of unknown orders/products and orders of unknown customers left out),
    for gross revenue, net revenue and revenue orders. Returns the days that disagree.
-#}
with

raw_orders as (
    {{ marts_latest_raw_versions(source('raw', 'orders'), 'order_id', 'trim(order_id)', {
        'customer_id': 'trim(customer_id)',
        'order_ts': 'order_ts',
        'order_status': 'lower(trim(order_status))',
    }) }}
),

raw_items as (
    {{ marts_latest_raw_versions(source('raw', 'order_items'), 'order_item_id', 'trim(order_item_id)', {
        'order_id': 'trim(order_id)',
        'product_id': 'trim(product_id)',
        'quantity': 'quantity',
        'unit_price': 'unit_price',
        'discount_amount': 'coalesce(discount_amount, 0)',
        'is_returned': 'coalesce(is_returned, false)',
    }) }}
),

known_customers as (
    select distinct trim(customer_id) as customer_id from {{ source('raw', 'customers') }}
),

known_products as (
    select distinct trim(product_id) as product_id from {{ source('raw', 'products') }}
),

latest_orders as (
    select raw_orders.*
    from raw_orders
    inner join known_customers
        on raw_orders.customer_id = known_customers.customer_id
),

raw_lines as (
    select
        cast(latest_orders.order_ts as date) as order_date,
        latest_orders.order_id,
        latest_orders.order_status <> 'cancelled' as is_revenue_order,
        raw_items.quantity * raw_items.unit_price as line_gross_amount,
        raw_items.quantity * raw_items.unit_price - raw_items.discount_amount as line_net_amount,
        raw_items.is_returned
    from raw_items
    inner join latest_orders
        on raw_items.order_id = latest_orders.order_id
    inner join known_products
        on raw_items.product_id = known_products.product_id
),

raw_days as (
    select
        order_date,
        sum(case when is_revenue_order then line_gross_amount else 0 end) as gross_revenue,
        sum(case when is_revenue_order and not is_returned then line_net_amount else 0 end)
            as net_revenue
    from raw_lines
    group by order_date
),

raw_order_days as (
    select
        cast(order_ts as date) as order_date,
        sum(case when order_status <> 'cancelled' then 1 else 0 end) as revenue_orders
    from latest_orders
    group by cast(order_ts as date)
),

fact_days as (
    select
        order_date,
        sum(gross_revenue) as gross_revenue,
        sum(net_revenue) as net_revenue
    from {{ ref('fact_order_items') }}
    group by order_date
),

mart_days as (
    select
        period_start as order_date,
        gross_revenue,
        net_revenue,
        revenue_orders
    from {{ ref('sales_summary') }}
    where period_grain = 'day'
),

compared as (
    select
        coalesce(mart_days.order_date, fact_days.order_date, raw_days.order_date) as order_date,
        coalesce(mart_days.net_revenue, 0) as mart_net_revenue,
        coalesce(fact_days.net_revenue, 0) as fact_net_revenue,
        coalesce(raw_days.net_revenue, 0) as raw_net_revenue,
        coalesce(mart_days.gross_revenue, 0) as mart_gross_revenue,
        coalesce(fact_days.gross_revenue, 0) as fact_gross_revenue,
        coalesce(raw_days.gross_revenue, 0) as raw_gross_revenue,
        coalesce(mart_days.revenue_orders, 0) as mart_revenue_orders,
        coalesce(raw_order_days.revenue_orders, 0) as raw_revenue_orders
    from mart_days
    full outer join fact_days
        on mart_days.order_date = fact_days.order_date
    full outer join raw_days
        on coalesce(mart_days.order_date, fact_days.order_date) = raw_days.order_date
    left join raw_order_days
        on coalesce(mart_days.order_date, fact_days.order_date, raw_days.order_date)
        = raw_order_days.order_date
)

select *
from compared
where mart_net_revenue <> fact_net_revenue
    or fact_net_revenue <> raw_net_revenue
    or mart_gross_revenue <> fact_gross_revenue
    or fact_gross_revenue <> raw_gross_revenue
    or mart_revenue_orders <> raw_revenue_orders
