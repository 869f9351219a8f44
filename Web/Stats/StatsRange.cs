using System.Globalization;

namespace BallOrleans.Web.Stats;

/// <summary>
/// The days the stats cover: <c>from</c> and <c>to</c>, ISO dates (<c>yyyy-MM-dd</c>), UTC, both
/// included. Either may be left out (or empty, as an untouched date field sends it): <c>to</c>
/// defaults to today, <c>from</c> to 29 days before <c>to</c>, so the default is the last 30 days.
/// </summary>
public sealed record StatsRange(DateOnly From, DateOnly To, bool Explicit)
{
    public const int DefaultDays = 30;
    public const int MaxDaysApart = 400;
    public const string FromParameter = "from";
    public const string ToParameter = "to";

    // The calendar the database and .NET share comfortably; a day past it is a typo, not a range.
    private static readonly DateOnly Earliest = new(1970, 1, 1);
    private static readonly DateOnly Latest = new(9999, 12, 30);

    public int Days => To.DayNumber - From.DayNumber + 1;

    public static StatsRange Default(DateOnly today) => new(today.AddDays(1 - DefaultDays), today, Explicit: false);

    /// <summary>The range, or the reasons it is refused, keyed by parameter (for a 400 ValidationProblem).</summary>
    public static (StatsRange? Range, Dictionary<string, string[]> Errors) Parse(IQueryCollection query, DateOnly today)
    {
        var errors = new Dictionary<string, string[]>();
        var from = Date(query, FromParameter, errors);
        var to = Date(query, ToParameter, errors);
        if (errors.Count > 0)
        {
            return (null, errors);
        }

        var end = to ?? today;
        var start = from ?? end.AddDays(1 - DefaultDays);
        if (start > end)
        {
            var reason = string.Create(CultureInfo.InvariantCulture, $"from ({start:yyyy-MM-dd}) is after to ({end:yyyy-MM-dd})");
            errors[FromParameter] = [reason];
            errors[ToParameter] = [reason];
        }
        else if (end.DayNumber - start.DayNumber > MaxDaysApart)
        {
            var reason = $"from and to are {end.DayNumber - start.DayNumber} days apart; at most {MaxDaysApart}";
            errors[FromParameter] = [reason];
            errors[ToParameter] = [reason];
        }

        return errors.Count > 0 ? (null, errors) : (new StatsRange(start, end, from is not null || to is not null), errors);
    }

    /// <summary>The query string of this range (<c>from=…&amp;to=…</c>), or empty for the default one.</summary>
    public string Query => Explicit ? string.Create(CultureInfo.InvariantCulture, $"from={From:yyyy-MM-dd}&to={To:yyyy-MM-dd}") : "";

    private static DateOnly? Date(IQueryCollection query, string name, Dictionary<string, string[]> errors)
    {
        var values = query[name];
        if (values.Count > 1)
        {
            errors[name] = [$"{name} may be given once"];
            return null;
        }

        var text = values.Count == 1 ? values[0] : null;
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        if (!DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date)
            || date < Earliest || date > Latest)
        {
            errors[name] = [string.Create(CultureInfo.InvariantCulture, $"{name} must be a date as yyyy-MM-dd (UTC), from {Earliest:yyyy-MM-dd} to {Latest:yyyy-MM-dd}")];
            return null;
        }

        return date;
    }
}
