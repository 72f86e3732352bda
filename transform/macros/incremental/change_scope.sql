{#- Which records an incremental model re-processes.

    Every incremental model of the warehouse reads the cheap, unaggregated change feed
    (stg_change_feed: keys, updated_at, _loaded_at of every raw row) to find what changed since
    its watermark, then reads the deduplicated staging views with *literal* bounds computed here
    at compile time, so the filters reach the table scans on both warehouses (DuckDB zone maps,
    PostgreSQL pushes them through the views' GROUP BY):

    - full (first run, --full-refresh, or an empty watermark): everything;
    - incremental: the orders/products with a raw row whose updated_at is within lookback_days of
      the watermark's max(updated_at), or whose _loaded_at is later than its max(_loaded_at);
      all versions of those records are re-read and the records rebuilt (delete+insert);
    - backfill (vars start_date and end_date): the orders whose order_ts falls in that date range
      (products: the versions whose updated_at does), nothing else.
-#}

{% macro backfill_range() -%}
    {#- (start_date, end_date) from the vars or the environment variables ECOM_DBT_START_DATE and
        ECOM_DBT_END_DATE (how `ecom transform --start/--end` passes them: see as_of_date()), or
        none when no backfill was asked for. -#}
    {%- set start_date = var('start_date', none) or env_var('ECOM_DBT_START_DATE', '') or none -%}
    {%- set end_date = var('end_date', none) or env_var('ECOM_DBT_END_DATE', '') or none -%}
    {%- if start_date is none and end_date is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- if start_date is none or end_date is none -%}
        {{ exceptions.raise_compiler_error(
            'A backfill needs both vars start_date and end_date (got start_date=' ~ start_date
            ~ ', end_date=' ~ end_date ~ '): pass both, e.g. --vars "{start_date: 2024-01-01, '
            ~ 'end_date: 2024-01-31}".') }}
    {%- endif -%}
    {%- if (start_date | string) > (end_date | string) -%}
        {{ exceptions.raise_compiler_error(
            'Backfill start_date ' ~ start_date ~ ' is after end_date ' ~ end_date
            ~ ': swap them.') }}
    {%- endif -%}
    {{ return((start_date | string, end_date | string)) }}
{%- endmacro %}

{% macro read_watermarks(relation, updated_column) -%}
    {#- (max updated, max _loaded_at) of an existing relation, or none when it is missing/empty. -#}
    {%- set existing = adapter.get_relation(
        database=relation.database, schema=relation.schema, identifier=relation.identifier) -%}
    {%- if existing is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set result = run_query(
        'select max(' ~ updated_column ~ ') as max_updated, max(_loaded_at) as max_loaded from '
        ~ existing) -%}
    {%- set row = result.rows[0] -%}
    {%- if row[0] is none or row[1] is none -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return({'max_updated': row[0], 'max_loaded': row[1]}) }}
{%- endmacro %}

{% macro change_trigger(watermarks) -%}
    {#- Predicate on stg_change_feed rows changed since the watermarks (lookback on updated_at). -#}
    {%- set lookback = var('lookback_days', 3) | int -%}
    {%- set updated_from = watermarks.max_updated - modules.datetime.timedelta(days=lookback) -%}
    (updated_at >= {{ timestamp_literal(updated_from) }}
        or _loaded_at > {{ timestamp_literal(watermarks.max_loaded) }})
{%- endmacro %}

{% macro order_change_set(watermark_relation=none) -%}
    {#- The orders of this run as a dict: mode (full | incremental | backfill) and changed_orders
        (SQL selecting order_id; selects nothing in full mode). The watermark is read from
        watermark_relation (default: this model). -#}
    {%- set feed = ref('stg_change_feed') -%}
    {%- set full = {
        'mode': 'full',
        'changed_orders': 'select order_id from ' ~ feed ~ ' where 1 = 0',
    } -%}
    {%- if not execute or not is_incremental() -%}
        {{ return(full) }}
    {%- endif -%}
    {%- set backfill = backfill_range() -%}
    {%- if backfill is not none -%}
        {%- set changed_orders -%}
            select distinct order_id
            from {{ feed }}
            where source_table = 'orders'
                and order_ts >= {{ timestamp_literal(backfill[0]) }}
                and order_ts < {{ add_interval_days(timestamp_literal(backfill[1]), 1) }}
        {%- endset -%}
        {{ return({'mode': 'backfill', 'changed_orders': changed_orders}) }}
    {%- endif -%}
    {%- set watermarks = read_watermarks(
        watermark_relation if watermark_relation is not none else this, 'updated_at') -%}
    {%- if watermarks is none -%}
        {{ return(full) }}
    {%- endif -%}
    {%- set changed_orders -%}
        select distinct order_id
        from {{ feed }}
        where source_table in ('orders', 'order_items')
            and order_id is not null
            and {{ change_trigger(watermarks) }}
    {%- endset -%}
    {{ return({'mode': 'incremental', 'changed_orders': changed_orders}) }}
{%- endmacro %}

{% macro order_change_scope(watermark_relation=none) -%}
    {#- order_change_set plus the predicates that select every version of the changed orders and
        their lines: orders_filter / items_filter on stg_orders / stg_order_items columns, with the
        lowest updated_at of those versions (read from the feed) as a literal lower bound. -#}
    {%- set feed = ref('stg_change_feed') -%}
    {%- set scope = order_change_set(watermark_relation) -%}
    {%- if scope.mode == 'full' -%}
        {{ return({
            'mode': 'full',
            'changed_orders': scope.changed_orders,
            'orders_filter': '1 = 1',
            'items_filter': '1 = 1',
        }) }}
    {%- endif -%}
    {%- set bounds_query -%}
        select
            min(case when source_table = 'orders' then updated_at end) as orders_from,
            min(case when source_table = 'order_items' then updated_at end) as items_from
        from {{ feed }}
        where source_table in ('orders', 'order_items')
            and order_id in ({{ scope.changed_orders }})
    {%- endset -%}
    {%- set bounds = run_query(bounds_query).rows[0] -%}
    {%- set in_scope = 'order_id in (select order_id from changed_orders)' -%}
    {%- set filters = [] -%}
    {%- for bound in bounds -%}
        {%- if bound is none -%}
            {%- do filters.append('1 = 0') -%}
        {%- else -%}
            {%- do filters.append('updated_at >= ' ~ timestamp_literal(bound) ~ ' and ' ~ in_scope) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- do log(this.identifier ~ ': ' ~ scope.mode ~ ' run, order versions from ' ~ bounds[0]
        ~ ', line versions from ' ~ bounds[1]) -%}
    {{ return({
        'mode': scope.mode,
        'changed_orders': scope.changed_orders,
        'orders_filter': filters[0],
        'items_filter': filters[1],
    }) }}
{%- endmacro %}

{% macro product_change_scope() -%}
    {#- Scope of a product-version incremental model: a predicate on stg_products columns. -#}
    {%- set feed = ref('stg_change_feed') -%}
    {%- if not execute or not is_incremental() -%}
        {{ return({'mode': 'full', 'products_filter': '1 = 1'}) }}
    {%- endif -%}
    {%- set backfill = backfill_range() -%}
    {%- if backfill is not none -%}
        {{ return({
            'mode': 'backfill',
            'products_filter': 'updated_at >= ' ~ timestamp_literal(backfill[0])
                ~ ' and updated_at < ' ~ add_interval_days(timestamp_literal(backfill[1]), 1),
        }) }}
    {%- endif -%}
    {%- set watermarks = read_watermarks(this, 'snapshot_at') -%}
    {%- if watermarks is none -%}
        {{ return({'mode': 'full', 'products_filter': '1 = 1'}) }}
    {%- endif -%}
    {%- set bounds_query -%}
        select min(updated_at)
        from {{ feed }}
        where source_table = 'products' and {{ change_trigger(watermarks) }}
    {%- endset -%}
    {%- set products_from = run_query(bounds_query).rows[0][0] -%}
    {%- if products_from is none -%}
        {{ return({'mode': 'incremental', 'products_filter': '1 = 0'}) }}
    {%- endif -%}
    {{ return({
        'mode': 'incremental',
        'products_filter': 'updated_at >= ' ~ timestamp_literal(products_from),
    }) }}
{%- endmacro %}

{% macro in_changed_orders(column='order_id') -%}
    {#- Predicate: `column` is one of the run's changed orders (the CTE changed_orders of an
        order-scoped model), for reads of a warehouse table indexed on it. -#}
    {{ return(adapter.dispatch('in_changed_orders', 'ecommerce')(column)) }}
{%- endmacro %}

{% macro default__in_changed_orders(column) -%}
    {{ column }} in (select order_id from changed_orders)
{%- endmacro %}

{% macro postgres__in_changed_orders(column) -%}
    {#- PostgreSQL: an array of the keys, so the planner can use the table's btree index on
        `column` (the builds' session disables the nested loops a semi-join would need). -#}
    {{ column }} = any(array(select order_id from changed_orders))
{%- endmacro %}
