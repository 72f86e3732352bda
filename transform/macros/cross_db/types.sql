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

{% macro duckdb_materialized() -%}
    {#- `materialized` for a CTE on DuckDB, nothing on PostgreSQL. DuckDB would otherwise inline
        the CTE and reorder its joins; PostgreSQL already joins in the written order, and a
        materialized CTE of the whole fact (2.5M wide rows at scale 1) only writes a tuplestore
        to disk: measured 19.8 s against 17.2 s for the full fact_order_items query. -#}
    {{ return('materialized' if target.type == 'duckdb' else '') }}
{%- endmacro %}

{% macro inline_cte() -%}
    {#- `not materialized` for a CTE on PostgreSQL, nothing on DuckDB: PostgreSQL materializes a
        CTE read more than once, which for a scan of the raw history means writing millions of
        rows to a tuplestore; inlined, each use is a scan with its own filters. -#}
    {{ return('not materialized' if target.type == 'postgres' else '') }}
{%- endmacro %}
