using System.Text.Json;

namespace BallOrleans.Tests.Stats;

/// <summary><c>/api/stats</c> as the admin reads it, once it holds every write a test made.</summary>
internal static class AdminStats
{
    /// <summary>
    /// The answer at <paramref name="path"/> once its all-time visitors reach <paramref name="visitors"/>
    /// (and its views <paramref name="views"/>, when given). The stats journal of <paramref name="database"/>
    /// is folded first, so that every write the test made is in the aggregates (the silos fold it
    /// only once a second, and a fold between two of the test's writes would show the first alone);
    /// the totals are still a snapshot read back every few hundred milliseconds, so one read right
    /// after the fold may come before it. Name the
    /// views wherever an older snapshot could hold the same number of visitors (one taken while the
    /// first visitors were arriving, before later ones were erased, say). After 10 s the last answer
    /// is returned for the test to judge.
    /// </summary>
    public static async Task<JsonElement> HoldingAsync(HttpClient admin, string database, long visitors, string path, long? views = null)
    {
        await StoredVisitors.FoldAsync(database);
        for (var attempt = 0; ; attempt++)
        {
            var stats = JsonDocument.Parse(await admin.GetStringAsync(path)).RootElement;
            var holds = stats.GetProperty("visitors").GetInt64() == visitors
                && (views is null || stats.GetProperty("views").GetInt64() == views);
            if (holds || attempt == 100)
            {
                return stats;
            }

            await Task.Delay(100);
        }
    }
}
