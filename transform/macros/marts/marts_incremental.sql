{#-
    Incremental refresh of the marts' aggregates (models/marts/aggregates).

    A fact row is "changed" when its updated_at is within var('lookback_days') of the
    aggregate's watermark max(source_updated_at), or its _loaded_at is later than the aggregate's
    max(_loaded_at) (the project's change_trigger()); in a backfill (vars start_date and
    end_date) the changed rows are those whose order_date lies in that range. The watermarks are
    read when the model runs and written into the SQL as literals, so the filters reach the
    table scans (and the planner's estimates) on both warehouses. An aggregate recomputes every
    key (customer, day or month) that a changed row touches, from all the fact rows of that key,
    and replaces those keys (delete+insert): a later cancellation or return restates the order's
    own period.
-#}

{% macro marts_change_scope() -%}
    {#- dict(mode = full | incremental | backfill, changed = predicate on fact rows). -#}
    {%- if not execute or not is_incremental() -%}
        {{ return({'mode': 'full', 'changed': '1 = 1'}) }}
    {%- endif -%}
    {%- set backfill = backfill_range() -%}
    {%- if backfill is not none -%}
        {{ return({
            'mode': 'backfill',
            'changed': 'order_date between ' ~ date_literal(backfill[0])
                ~ ' and ' ~ date_literal(backfill[1]),
        }) }}
    {%- endif -%}
    {%- set watermarks = read_watermarks(this, 'source_updated_at') -%}
    {%- if watermarks is none -%}
        {{ return({'mode': 'full', 'changed': '1 = 1'}) }}
    {%- endif -%}
    {{ return({'mode': 'incremental', 'changed': change_trigger(watermarks)}) }}
{%- endmacro %}


{% macro marts_changed_keys(scope, key, relations) -%}
    {#- The distinct values of `key` (a date column) over the changed rows of `relations`, as a
        predicate `key in (<literals>)` ('1 = 0' when nothing changed). Full mode: '1 = 1'. -#}
    {%- if scope.mode == 'full' -%}
        {{ return('1 = 1') }}
    {%- endif -%}
    {%- set selects = [] -%}
    {%- for relation in relations -%}
        {%- do selects.append(
            'select distinct ' ~ key ~ ' as changed_key from ' ~ relation
            ~ ' where ' ~ scope.changed) -%}
    {%- endfor -%}
    {%- set result = run_query(selects | join(' union ') ~ ' order by 1') -%}
    {%- set values = result.columns[0].values() -%}
    {%- do log(this.identifier ~ ': ' ~ scope.mode ~ ' run, ' ~ (values | length) ~ ' ' ~ key
        ~ ' value(s) to recompute') -%}
    {%- if values | length == 0 -%}
        {{ return('1 = 0') }}
    {%- endif -%}
    {%- set literals = [] -%}
    {%- for value in values -%}
        {%- do literals.append(date_literal(value)) -%}
    {%- endfor -%}
    {{ return(key ~ ' in (' ~ (literals | join(', ')) ~ ')') }}
{%- endmacro %}


{#- Minimum number of revenue orders that a product pair must share to be kept. -#}
{% macro marts_affinity_min_orders() -%}
    {{ var('affinity_min_orders', 2) }}
{%- endmacro %}
