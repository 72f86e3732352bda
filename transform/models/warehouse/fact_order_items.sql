{{
    config(
        materialized='incremental',
        unique_key='order_item_id',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        indexes=postgres_indexes([
            {'columns': ['order_item_id'], 'unique': true},
            {'columns': ['order_id']},
            {'columns': ['product_id']},
            {'columns': ['order_date']},
        ]),
    )
}}
-- depends_on: {{ ref('orphan_records') }}
{%- set scope = order_change_scope() %}

with

changed_orders as (
    {{ scope.changed_orders }}
),

order_versions as (
    select * from {{ ref('stg_orders') }}
    where {{ scope.orders_filter }}
),

item_versions as (
    select * from {{ ref('stg_order_items') }}
    where {{ scope.items_filter }}
),

known_customers as (
    select customer_id from {{ ref('dim_customers') }}
    where version_number = 1
),

product_versions as (
    select * from {{ ref('dim_products') }}
),

latest_orders as (
    {{ select_latest_versions('order_versions', 'order_id') }}
),

latest_items as (
    {{ select_latest_versions('item_versions', 'order_item_id') }}
),

known_orders as (
    {#- Orders of unknown customers drop out here (their lines too): see orphan_records. -#}
    select
        latest_orders.order_id,
        latest_orders.customer_id,
        latest_orders.order_ts,
        latest_orders.order_status,
        latest_orders.updated_at,
        latest_orders._loaded_at
    from latest_orders
    inner join known_customers
        on latest_orders.customer_id = known_customers.customer_id
),

lines_with_orders as {{ cte_materialization(duckdb='materialized') }} (
    {#- Lines meet their order (1:1) before the product versions (1:n): see cte_materialization. -#}
    select
        latest_items.*,
        known_orders.customer_id,
        known_orders.order_ts,
        known_orders.order_status,
        known_orders.updated_at as order_updated_at,
        known_orders._loaded_at as order_loaded_at
    from latest_items
    inner join known_orders
        on latest_items.order_id = known_orders.order_id
),

lines_with_product_version as (
    {#- Point in time: the product version valid at order_ts (the first version for an order
        placed before the product was listed). Unknown products drop out (orphan_records). -#}
    select
        lines.order_item_id,
        lines.order_id,
        lines.product_id,
        product_versions.product_sk,
        lines.customer_id,
        lines.order_ts,
        lines.order_status,
        product_versions.category,
        product_versions.subcategory,
        product_versions.brand,
        lines.quantity,
        lines.unit_price,
        coalesce(lines.discount_amount, 0) as discount_amount,
        product_versions.unit_cost,
        coalesce(lines.is_returned, false) as is_returned,
        lines.returned_at,
        lines.return_reason,
        case
            when lines.updated_at >= lines.order_updated_at then lines.updated_at
            else lines.order_updated_at
        end as updated_at,
        case
            when lines._loaded_at >= lines.order_loaded_at then lines._loaded_at
            else lines.order_loaded_at
        end as _loaded_at
    from lines_with_orders as lines
    inner join product_versions
        on lines.product_id = product_versions.product_id
        and lines.order_ts < product_versions.valid_to
        and (
            lines.order_ts >= product_versions.valid_from
            or product_versions.version_number = 1
        )
),

line_amounts as (
    select
        lines_with_product_version.*,
        order_status <> 'cancelled' as is_revenue_order,
        {{ to_money('quantity * unit_price') }} as line_gross_amount,
        {{ to_money('quantity * unit_price - discount_amount') }} as line_net_amount,
        {{ to_money('quantity * unit_cost') }} as line_cost
    from lines_with_product_version
),

final as (
    select
        order_item_id,
        order_id,
        product_id,
        product_sk,
        customer_id,
        order_ts,
        cast(order_ts as date) as order_date,
        {{ trunc_date('month', 'order_ts') }} as order_month,
        order_status,
        is_revenue_order,
        category,
        subcategory,
        brand,
        quantity,
        unit_price,
        discount_amount,
        line_gross_amount,
        line_net_amount,
        unit_cost,
        line_cost,
        is_returned,
        returned_at,
        return_reason,
        {{ to_money('case when is_revenue_order then line_gross_amount else 0 end') }}
            as gross_revenue,
        {{ to_money(
            'case when is_revenue_order and not is_returned then line_net_amount else 0 end'
        ) }} as net_revenue,
        {{ to_money(
            'case when is_revenue_order and not is_returned then line_cost else 0 end'
        ) }} as cost_of_net_revenue,
        {{ to_money(
            'case when is_revenue_order and not is_returned'
            ~ ' then line_net_amount - line_cost else 0 end'
        ) }} as gross_profit,
        updated_at,
        _loaded_at
    from line_amounts
)

select * from final
