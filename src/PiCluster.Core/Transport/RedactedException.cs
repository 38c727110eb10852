using System;

namespace PiCluster.Transport;

/// <summary>
/// A copy of an exception (and of its inner exceptions) with every message and stack trace redacted and no
/// <see cref="Exception.Data"/>: what PowerShell may keep in <c>$Error</c>, show in <c>Get-Error</c> and write with
/// <c>Export-Clixml</c>, where the original could show a secret that the error message hid.
/// </summary>
public sealed class RedactedException : Exception
{
    // Deeper chains than this are cut: a cycle or a pathological chain must not hang error reporting.
    private const int MaxDepth = 8;
    private readonly string? _stackTrace;

    private RedactedException(string message, string originalType, string? stackTrace, Exception? inner) : base(message, inner)
    {
        OriginalType = originalType;
        _stackTrace = stackTrace;
    }

    /// <summary>The full name of the type of the exception this copies, e.g. <c>System.IO.IOException</c>.</summary>
    public string OriginalType { get; }

    /// <inheritdoc />
    public override string? StackTrace => _stackTrace;

    /// <summary>A redacted copy of <paramref name="exception"/> and its inner exceptions.</summary>
    public static RedactedException Copy(Exception exception, Redactor redactor) => Copy(exception, redactor, 0);

    private static RedactedException Copy(Exception exception, Redactor redactor, int depth)
    {
        if (exception is null) throw new ArgumentNullException(nameof(exception));
        if (redactor is null) throw new ArgumentNullException(nameof(redactor));
        var inner = exception.InnerException is { } next && depth + 1 < MaxDepth ? Copy(next, redactor, depth + 1) : null;
        var stackTrace = exception.StackTrace is { } trace ? redactor.Redact(trace) : null;
        return new RedactedException(redactor.Redact(exception.Message), exception.GetType().FullName ?? exception.GetType().Name, stackTrace, inner)
        {
            Source = exception.Source,
            HResult = exception.HResult,
        };
    }
}
