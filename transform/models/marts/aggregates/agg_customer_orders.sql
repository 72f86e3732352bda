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
        order_date,
        order_month,
        order_quarter,
        is_revenue_order,
        is_cancelled,
        gross_revenue,
        net_revenue,
        gross_profit,
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

customer_totals as (
    select
        customer_id,
        count(*) as orders,
        sum(case when is_revenue_order then 1 else 0 end) as revenue_orders,
        sum(case when is_cancelled then 1 else 0 end) as cancelled_orders,
        min(case when is_revenue_order then order_date end) as first_order_date,
        max(case when is_revenue_order then order_date end) as last_order_date,
        min(case when is_revenue_order then order_month end) as cohort_month,
        min(case when is_revenue_order then order_quarter end) as first_order_quarter,
        sum(gross_revenue) as gross_revenue,
        sum(net_revenue) as net_revenue,
        {{ sum_known('gross_profit') }} as gross_profit,
        max(updated_at) as source_updated_at,
        max(_loaded_at) as _loaded_at
    from orders
    group by customer_id
),

final as (
    select
        cast(customer_id as varchar) as customer_id,
        cast(orders as bigint) as orders,
        cast(revenue_orders as bigint) as revenue_orders,
        cast(cancelled_orders as bigint) as cancelled_orders,
        cast(first_order_date as date) as first_order_date,
        cast(last_order_date as date) as last_order_date,
        cast(cohort_month as date) as cohort_month,
        cast(first_order_quarter as date) as first_order_quarter,
        cast(gross_revenue as decimal(18, 2)) as gross_revenue,
        cast(net_revenue as decimal(18, 2)) as net_revenue,
        cast(gross_profit as decimal(18, 2)) as gross_profit,
        cast(source_updated_at as timestamp) as source_updated_at,
        cast(_loaded_at as timestamp) as _loaded_at
    from customer_totals
)

select * from final
