{% macro delete_order_scope(watermark_relation=none) -%}
    {#- Pre-hook of append-only order-scoped models: delete the rows of the orders in this run's
        scope (see order_change_scope) so the model can re-insert their current state. -#}
    {%- if execute and is_incremental() -%}
        {%- set scope = order_change_set(watermark_relation) -%}
        {%- if scope.mode == 'full' -%}
            delete from {{ this }}
        {%- else -%}
            delete from {{ this }} where order_id in ({{ scope.changed_orders }})
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{% macro fact_order_items_relation() -%}
    {#- fact_order_items, named without ref(): orphan_records reads its watermark and runs before
        it (fact_order_items depends on orphan_records), so both see the same scope. -#}
    {{ return(api.Relation.create(
        database=this.database, schema=this.schema, identifier='fact_order_items')) }}
{%- endmacro %}
