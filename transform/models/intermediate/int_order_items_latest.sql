{#- The current state of every order line: its latest version in staging (orphans too). -#}
with

item_versions as (
    select * from {{ ref('stg_order_items') }}
),

final as (
    {{ select_latest_versions('item_versions', 'order_item_id') }}
)

select * from final
