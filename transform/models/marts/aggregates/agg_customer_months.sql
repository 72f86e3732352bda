{{
    config(
        materialized='incremental',
        schema='warehouse',
        unique_key='customer_id',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
    )
}}
{%- set scope = marts_change_scope() %}

with

orders as (
    select
        customer_id,
        order_month,
        order_quarter,
        is_revenue_order,
        net_revenue,
        updated_at,
        _loaded_at
    from {{ ref('fact_orders') }}
    {%- if scope.mode != 'full' %}
    where customer_id in (
        select customer_id
        from {{ ref('fact_orders') }}
        where {{ scope.changed }}
    )
    {%- endif %}
),

customer_months as (
    select
        customer_id,
        order_month,
        min(order_quarter) as order_quarter,
        count(*) as orders,
        sum(case when is_revenue_order then 1 else 0 end) as revenue_orders,
        sum(net_revenue) as net_revenue,
        max(updated_at) as source_updated_at,
        max(_loaded_at) as _loaded_at
    from orders
    group by customer_id, order_month
),

final as (
    select
        cast(customer_id as varchar) as customer_id,
        cast(order_month as date) as order_month,
        cast(order_quarter as date) as order_quarter,
        cast(orders as bigint) as orders,
        cast(revenue_orders as bigint) as revenue_orders,
        cast(net_revenue as decimal(18, 2)) as net_revenue,
        cast(source_updated_at as timestamp) as source_updated_at,
        cast(_loaded_at as timestamp) as _loaded_at
    from customer_months
)

select * from final
