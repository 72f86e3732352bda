{% macro type_money() -%}
    {#- Money: decimal(18,2), as in the contract. -#}
    decimal(18, 2)
{%- endmacro %}

{% macro to_money(expression) -%}
    cast({{ expression }} as {{ type_money() }})
{%- endmacro %}

{% macro postgres_indexes(indexes) -%}
    {#- The model's indexes on PostgreSQL; none on DuckDB (its ART indexes only slow the build:
        its joins and filters use hash joins and zone maps). -#}
    {{ return(indexes if target.type == 'postgres' else []) }}
{%- endmacro %}

{% macro analyze_table() -%}
    {#- Post-hook of the big tables: fresh planner statistics on PostgreSQL right after a build
        (a table created in the run has none until autovacuum comes by, and the incremental
        facts' joins on it would be planned blind); nothing on DuckDB. -#}
    {{ return('analyze ' ~ this if target.type == 'postgres' else '') }}
{%- endmacro %}


{% macro sum_known(expression) -%}
    {#- The sum of `expression`, or null when any of the summed values is null (unknown): e.g. a
        profit over lines one of whose product costs is unknown is unknown, not a partial sum. -#}
    case when count(*) = count({{ expression }}) then sum({{ expression }}) end
{%- endmacro %}

{% macro cte_materialization(duckdb='', postgres='') -%}
    {#- The materialization keyword of a CTE on the target: `materialized`, `not materialized` or
        nothing (the database decides). The two differ where it pays:
        - DuckDB inlines a CTE and may reorder its joins: fact_order_items materializes the lines
          joined to their order (1:1) before the product versions (1:n);
        - PostgreSQL materializes a CTE read more than once (orphan_records reads the raw feed
          several times: millions of rows written to a tuplestore; inlined, each use is a scan
          with its own filters), and already joins fact_order_items in the written order, where a
          materialized CTE of the whole fact only spilled to disk (full query 19.8 s against
          17.2 s without). -#}
    {{ return(duckdb if target.type == 'duckdb' else postgres) }}
{%- endmacro %}
