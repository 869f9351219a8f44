using System.Globalization;
using System.Text;
using BallOrleans.Grains.Stats;
using BallOrleans.Grains.Visitors;

namespace BallOrleans.Web.Stats;

/// <summary>
/// Streams every visitor as CSV in keyset pages of <see cref="PageRows"/>: memory holds one page
/// and each query is short, whether there are ten visitors or ten million.
/// </summary>
public static class VisitorCsv
{
    public const int PageRows = 5000;
    public const string Header = "id,color,red_views,blue_views,views,first_seen,last_seen";

    public static async Task WriteAsync(HttpResponse response, VisitorStatsReader reader, BallColor? color, CancellationToken cancellationToken)
    {
        var sort = new VisitorSort(VisitorSortKey.FirstSeen, Descending: false);
        // The first page is read before anything is sent, so that a database in trouble is still
        // a clean 503 rather than a cut-off file.
        var rows = await reader.PageAsync(sort, color, null, PageRows, cancellationToken);
        response.ContentType = "text/csv; charset=utf-8";
        response.Headers.ContentDisposition = "attachment; filename=\"visitors.csv\"";
        await response.WriteAsync(Header + "\n", cancellationToken);
        while (true)
        {
            var text = new StringBuilder(rows.Count * 110);
            foreach (var row in rows)
            {
                text.Append(row.Id).Append(',').Append(row.Color.Name()).Append(',')
                    .Append(row.RedViews.ToString(CultureInfo.InvariantCulture)).Append(',')
                    .Append(row.BlueViews.ToString(CultureInfo.InvariantCulture)).Append(',')
                    .Append(row.Views.ToString(CultureInfo.InvariantCulture)).Append(',')
                    .Append(row.FirstSeen.UtcDateTime.ToString("O", CultureInfo.InvariantCulture)).Append(',')
                    .Append(row.LastSeen.UtcDateTime.ToString("O", CultureInfo.InvariantCulture)).Append('\n');
            }

            await response.WriteAsync(text.ToString(), cancellationToken);
            await response.Body.FlushAsync(cancellationToken);
            if (rows.Count < PageRows)
            {
                return;
            }

            rows = await reader.PageAsync(sort, color, rows[^1].PositionIn(sort), PageRows, cancellationToken);
        }
    }
}
