{{
    config(
        materialized='incremental',
        unique_key='order_id',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        indexes=postgres_indexes([
            {'columns': ['order_id'], 'unique': true},
            {'columns': ['customer_id']},
            {'columns': ['order_date']},
        ]),
    )
}}
{%- set scope = order_change_scope() %}

with

changed_orders as (
    {{ scope.changed_orders }}
),

order_versions as (
    select * from {{ ref('stg_orders') }}
    where {{ scope.orders_filter }}
),

order_lines as (
    select * from {{ ref('fact_order_items') }}
    {%- if scope.mode != 'full' %}
    where {{ in_changed_orders() }}
    {%- endif %}
),

customer_versions as (
    select * from {{ ref('dim_customers') }}
),

latest_orders as (
    {{ select_latest_versions('order_versions', 'order_id') }}
),

orders_with_customer_version as (
    {#- Point in time: the customer version valid at order_ts (see fact_order_items). -#}
    select
        latest_orders.*,
        customer_versions.customer_sk,
        customer_versions.country_code as customer_country_code
    from latest_orders
    inner join customer_versions
        on latest_orders.customer_id = customer_versions.customer_id
        and latest_orders.order_ts < customer_versions.valid_to
        and (
            latest_orders.order_ts >= customer_versions.valid_from
            or customer_versions.version_number = 1
        )
),

line_totals as (
    select
        order_id,
        count(*) as item_count,
        sum(quantity) as units,
        sum(case when is_returned then quantity else 0 end) as returned_units,
        sum(line_gross_amount) as items_gross_amount,
        sum(discount_amount) as items_discount_amount,
        sum(line_net_amount) as items_net_amount,
        sum(gross_revenue) as gross_revenue,
        sum(net_revenue) as net_revenue,
        {{ sum_known('cost_of_net_revenue') }} as cost_of_net_revenue,
        {{ sum_known('gross_profit') }} as gross_profit,
        max(updated_at) as updated_at,
        max(_loaded_at) as _loaded_at
    from order_lines
    group by order_id
),

final as (
    select
        orders.order_id,
        orders.customer_id,
        orders.customer_sk,
        orders.order_ts,
        cast(orders.order_ts as date) as order_date,
        {{ trunc_date('month', 'orders.order_ts') }} as order_month,
        {{ trunc_date('quarter', 'orders.order_ts') }} as order_quarter,
        orders.order_status,
        orders.order_status <> 'cancelled' as is_revenue_order,
        orders.order_status = 'cancelled' as is_cancelled,
        (
            orders.order_status = 'returned' or coalesce(line_totals.returned_units, 0) > 0
        ) as is_returned_order,
        orders.payment_method,
        orders.sales_channel,
        orders.currency,
        orders.ship_country_code,
        orders.ship_region,
        orders.ship_city,
        orders.customer_country_code,
        orders.promised_delivery_date,
        orders.shipped_at,
        orders.delivered_at,
        {{ hours_between('orders.order_ts', 'orders.shipped_at') }} as hours_to_ship,
        {{ hours_between('orders.shipped_at', 'orders.delivered_at') }} as hours_to_deliver,
        case
            when orders.delivered_at is null or orders.promised_delivery_date is null then null
            else cast(orders.delivered_at as date) <= orders.promised_delivery_date
        end as is_on_time,
        coalesce(line_totals.item_count, 0) as item_count,
        cast(coalesce(line_totals.units, 0) as bigint) as units,
        cast(coalesce(line_totals.returned_units, 0) as bigint) as returned_units,
        {{ to_money('coalesce(line_totals.items_gross_amount, 0)') }} as items_gross_amount,
        {{ to_money('coalesce(line_totals.items_discount_amount, 0)') }} as items_discount_amount,
        {{ to_money('coalesce(line_totals.items_net_amount, 0)') }} as items_net_amount,
        {{ to_money('coalesce(line_totals.gross_revenue, 0)') }} as gross_revenue,
        {{ to_money('coalesce(line_totals.net_revenue, 0)') }} as net_revenue,
        {#- Null when a counted line's product has no known unit_cost (a source without costs). -#}
        {{ to_money(
            'case when line_totals.order_id is null then 0'
            ~ ' else line_totals.cost_of_net_revenue end'
        ) }} as cost_of_net_revenue,
        {{ to_money(
            'case when line_totals.order_id is null then 0 else line_totals.gross_profit end'
        ) }} as gross_profit,
        orders.shipping_cost,
        orders.tax_amount,
        {#- The latest change of the order or of any of its lines. -#}
        case
            when line_totals.updated_at > orders.updated_at then line_totals.updated_at
            else orders.updated_at
        end as updated_at,
        case
            when line_totals._loaded_at > orders._loaded_at then line_totals._loaded_at
            else orders._loaded_at
        end as _loaded_at
    from orders_with_customer_version as orders
    left join line_totals
        on orders.order_id = line_totals.order_id
)

select * from final
