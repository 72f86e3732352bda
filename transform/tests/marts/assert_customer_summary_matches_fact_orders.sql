{#- customer_summary has exactly the customers with a revenue order in fact_orders, with
    order_count = their revenue orders and net_revenue = their net revenue. -#}
with

fact_customers as (
    select
        customer_id,
        count(*) as revenue_orders,
        sum(net_revenue) as net_revenue
    from {{ ref('fact_orders') }}
    where is_revenue_order
    group by customer_id
),

mart_customers as (
    select
        customer_id,
        order_count,
        net_revenue
    from {{ ref('customer_summary') }}
)

select
    coalesce(fact_customers.customer_id, mart_customers.customer_id) as customer_id,
    fact_customers.revenue_orders,
    mart_customers.order_count,
    fact_customers.net_revenue as fact_net_revenue,
    mart_customers.net_revenue as mart_net_revenue
from fact_customers
full outer join mart_customers
    on fact_customers.customer_id = mart_customers.customer_id
where fact_customers.customer_id is null
    or mart_customers.customer_id is null
    or fact_customers.revenue_orders <> mart_customers.order_count
    or fact_customers.net_revenue <> mart_customers.net_revenue
