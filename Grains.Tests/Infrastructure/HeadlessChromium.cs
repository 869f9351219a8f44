using Microsoft.Playwright;

namespace BallOrleans.Tests.Infrastructure;

/// <summary>
/// Debian's Chromium, headless, driven by Playwright (which cannot download browsers here).
/// Screenshots land in <c>docs/</c> when <c>BALL_SCREENSHOTS=1</c> (that is how the README's
/// pictures are refreshed), otherwise in the temporary folder, so a normal run leaves the tree clean.
/// </summary>
public static class HeadlessChromium
{
    public static string ExecutablePath => Environment.GetEnvironmentVariable("BALL_CHROMIUM") ?? "/usr/bin/chromium";

    public static async Task<(IPlaywright Playwright, IBrowser Browser)> LaunchAsync()
    {
        Assert.True(File.Exists(ExecutablePath), $"{ExecutablePath} is missing: install Debian's chromium package (./ball test does as root)");
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ExecutablePath,
            Headless = true,
            // As root Chromium needs --no-sandbox; the rest keep it off a network it cannot reach.
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
        return (playwright, browser);
    }

    /// <summary>
    /// The user agent of this Chromium as a person runs it. Headless Chromium says
    /// "HeadlessChrome", which the site rightly counts as a bot; a test standing in for a visitor
    /// sets this on its browser context.
    /// </summary>
    public static string PersonUserAgent(IBrowser browser) =>
        $"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{browser.Version} Safari/537.36";

    public static string ScreenshotPath(string name) =>
        Environment.GetEnvironmentVariable("BALL_SCREENSHOTS") == "1"
            ? Path.Combine(Repository.Root(), "docs", name)
            : Path.Combine(Path.GetTempPath(), $"ball-{Environment.ProcessId}-{name}");
}
