with

source as (
    select * from {{ source('raw', 'orders') }}
),

cleaned as (
    select
        {{ clean_text('order_id') }} as order_id,
        {{ clean_text('customer_id') }} as customer_id,
        order_ts,
        {{ clean_lower('order_status') }} as order_status,
        {{ clean_lower('payment_method') }} as payment_method,
        {{ clean_lower('sales_channel') }} as sales_channel,
        coalesce({{ clean_upper('currency') }}, 'USD') as currency,
        {{ to_money('shipping_cost') }} as shipping_cost,
        {{ to_money('tax_amount') }} as tax_amount,
        {{ clean_upper('ship_country_code') }} as ship_country_code,
        {{ clean_text('ship_region') }} as ship_region,
        {{ clean_text('ship_city') }} as ship_city,
        promised_delivery_date,
        shipped_at,
        delivered_at,
        updated_at,
        _source_file,
        _source_line,
        _loaded_at
    from source
),

flagged as (
    select
        cleaned.*,
        coalesce(
            {{ regex_matches('ship_country_code', contract_country_code_pattern()) }}, false
        ) as is_valid_ship_country_code
    from cleaned
)

{#- The last SELECT (see deduplicated_versions): one row per order version. -#}
{{ deduplicated_versions(
    'flagged', 'order_id', contract_columns('orders') + ['is_valid_ship_country_code']
) }}
