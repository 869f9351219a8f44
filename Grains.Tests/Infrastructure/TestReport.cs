using Xunit.Abstractions;

namespace BallOrleans.Tests.Infrastructure;

/// <summary>The figure lines tests print: to the test's output, and to the console, where CI logs show them.</summary>
public static class TestReport
{
    public static void Figures(ITestOutputHelper output, string line)
    {
        output.WriteLine(line);
        Console.WriteLine($"[figures] {line}");
    }
}
