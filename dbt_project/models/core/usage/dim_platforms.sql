with

platforms as (

    select
        'claude_code' as platform,
        'anthropic' as vendor,
        'Claude Code' as platform_name,
        'user_day' as session_grain,
        true as has_vendor_cost,
        false as has_seat_cost

    union all

    select
        'anthropic_api' as platform,
        'anthropic' as vendor,
        'Anthropic API' as platform_name,
        'burst' as session_grain,
        false as has_vendor_cost,
        false as has_seat_cost

    union all

    select
        'openai_api' as platform,
        'openai' as vendor,
        'OpenAI API' as platform_name,
        'burst' as session_grain,
        false as has_vendor_cost,
        false as has_seat_cost

    union all

    select
        'cursor' as platform,
        'cursor' as vendor,
        'Cursor' as platform_name,
        'burst' as session_grain,
        true as has_vendor_cost,
        true as has_seat_cost

    union all

    select
        'copilot' as platform,
        'github' as vendor,
        'GitHub Copilot' as platform_name,
        'user_day' as session_grain,
        true as has_vendor_cost,
        true as has_seat_cost

)

select * from platforms
