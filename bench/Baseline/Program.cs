// The baseline: what the ball page would be as a plain web app over one SQL table.
// GET /       the visitor's ball; one UPSERT per visit, committed before the answer.
// GET /health 200 once the table exists (the harness waits for it).
// Connection string: ConnectionStrings__Postgres (as for the site). Listen address: --urls.
using Npgsql;

var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
var app = builder.Build();

var connectionString = new NpgsqlConnectionStringBuilder(
    app.Configuration.GetConnectionString("Postgres")
    ?? throw new InvalidOperationException("set ConnectionStrings__Postgres"))
{
    // The two driver settings the site uses too, so the comparison is about the design and not
    // about driver defaults: the UPSERT is prepared once per connection, and a connection handed
    // back to the pool is not reset (nothing here changes session state).
    MaxAutoPrepare = 4,
    NoResetOnClose = true,
};
await using var db = NpgsqlDataSource.Create(connectionString);

await using (var create = db.CreateCommand("""
    CREATE TABLE IF NOT EXISTS baseline_visitor (
        id         uuid PRIMARY KEY,
        color      text NOT NULL CHECK (color IN ('red', 'blue')),
        red_views  bigint NOT NULL DEFAULT 0,
        blue_views bigint NOT NULL DEFAULT 0)
    """))
{
    await create.ExecuteNonQueryAsync();
}

// A new row takes the color drawn for it ($2); an existing row keeps its own and counts one
// more view of it. Either way one statement, one commit (synchronous_commit is the server's: on).
const string Visit = """
    INSERT INTO baseline_visitor AS v (id, color, red_views, blue_views)
    VALUES ($1, $2, CASE WHEN $2 = 'red' THEN 1 ELSE 0 END, CASE WHEN $2 = 'blue' THEN 1 ELSE 0 END)
    ON CONFLICT (id) DO UPDATE SET
        red_views  = v.red_views  + CASE WHEN v.color = 'red'  THEN 1 ELSE 0 END,
        blue_views = v.blue_views + CASE WHEN v.color = 'blue' THEN 1 ELSE 0 END
    RETURNING color, red_views + blue_views
    """;
const string CookieName = "visitor";

app.MapGet("/health", () => "ok");
app.MapGet("/", async (HttpContext context) =>
{
    // No cookie, or one that is not a uuid: a new visitor.
    if (!(context.Request.Cookies.TryGetValue(CookieName, out var value) && Guid.TryParse(value, out var id)))
    {
        id = Guid.NewGuid();
        context.Response.Cookies.Append(CookieName, id.ToString(), new CookieOptions
        {
            HttpOnly = true,
            SameSite = SameSiteMode.Lax,
            MaxAge = TimeSpan.FromDays(365),
        });
    }

    await using var visit = db.CreateCommand(Visit);
    visit.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = id });
    visit.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Random.Shared.Next(2) == 0 ? "red" : "blue" });
    // Not cancelled when the client leaves: a visit once started is stored and committed.
    await using var row = await visit.ExecuteReaderAsync();
    await row.ReadAsync();
    var color = row.GetString(0);
    var views = row.GetInt64(1);
    return Results.Content(
        $"<!doctype html><title>Ball</title><svg width=\"120\" height=\"120\"><circle cx=\"60\" cy=\"60\" r=\"50\" fill=\"{color}\"/></svg>"
        + $"<p>You have seen the {color} ball {views} time{(views == 1 ? "" : "s")}.</p>",
        "text/html; charset=utf-8");
});

app.Run();
