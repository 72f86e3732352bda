{#- The current state of every order: its latest version in staging (all orders, orphans too). -#}
with

order_versions as (
    select * from {{ ref('stg_orders') }}
),

final as (
    {{ select_latest_versions('order_versions', 'order_id') }}
)

select * from final
