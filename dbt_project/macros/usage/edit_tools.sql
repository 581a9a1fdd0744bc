{#-
    The agents' tools that change files, as a SQL list: their decisions are edit decisions
    (accepted or rejected code), the others (Bash, Read, shell, …) are not. Claude Code's edit
    tools are Edit, MultiEdit, Write and NotebookEdit; Codex edits with apply_patch.
-#}
{% macro edit_tools() -%}
    ('Edit', 'MultiEdit', 'Write', 'NotebookEdit', 'apply_patch')
{%- endmacro %}
