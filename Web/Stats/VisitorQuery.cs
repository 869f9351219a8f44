using System.Globalization;
using BallOrleans.Grains.Stats;
using BallOrleans.Grains.Visitors;

namespace BallOrleans.Web.Stats;

/// <summary>The parameters of a visitor listing (<c>limit</c>, <c>after</c>, <c>sort</c>, <c>color</c>), validated.</summary>
public sealed record VisitorQuery(int Limit, VisitorSort Sort, BallColor? Color, VisitorPosition? After, string? Cursor)
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 1000;

    /// <summary>The query, or the reasons it is refused, keyed by parameter (for a 400 ValidationProblem).</summary>
    public static async Task<(VisitorQuery? Query, Dictionary<string, string[]> Errors)> ParseAsync(
        IQueryCollection query, VisitorStatsReader reader, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        var limit = DefaultLimit;
        if (Single(query, "limit", errors) is { } limitText
            && (!int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > MaxLimit))
        {
            errors["limit"] = [$"limit must be a whole number from 1 to {MaxLimit}"];
        }

        var sort = VisitorSort.Default;
        if (Single(query, "sort", errors) is { } sortText && !VisitorSort.TryParse(sortText, out sort))
        {
            errors["sort"] = [$"sort must be one of {string.Join(", ", VisitorSort.Names)}"];
        }

        BallColor? color = null;
        if (Single(query, "color", errors) is { } colorText && colorText.Length > 0)
        {
            color = BallColors.TryParse(colorText, out var parsed) ? parsed : null;
            if (color is null)
            {
                errors["color"] = [$"color must be one of {string.Join(", ", BallColors.All.Select(c => c.Name()))}"];
            }
        }

        var cursor = Single(query, "after", errors);
        VisitorPosition? after = null;
        if (!string.IsNullOrEmpty(cursor) && errors.Count == 0)
        {
            after = VisitorCursor.Decode(await reader.CursorKeyAsync(cancellationToken), cursor, sort, color, out var problem);
            if (problem is not null)
            {
                errors["after"] = [problem];
            }
        }

        return errors.Count > 0 ? (null, errors) : (new VisitorQuery(limit, sort, color, after, cursor), errors);
    }

    private static string? Single(IQueryCollection query, string name, Dictionary<string, string[]> errors)
    {
        var values = query[name];
        if (values.Count > 1)
        {
            errors[name] = [$"{name} may be given once"];
            return null;
        }

        return values.Count == 1 ? values[0] : null;
    }
}
