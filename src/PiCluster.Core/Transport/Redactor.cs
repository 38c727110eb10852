using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.RegularExpressions;

namespace PiCluster.Transport;

/// <summary>
/// Masks secrets in text bound for verbose output, logs and error messages: kubeadm join tokens, certificate keys
/// (64 hex digits that are not a <c>sha256:</c> CA hash, which is public) and every value registered with <see cref="Add"/>.
/// Thread-safe.
/// </summary>
public sealed class Redactor
{
    /// <summary>What a secret is replaced with.</summary>
    public const string Mask = "********";

    // Join tokens are "[a-z0-9]{6}.[a-z0-9]{16}"; certificate keys are 32 bytes in hex. A "sha256:" CA hash is public
    // and needed to read join commands, so it stays.
    private static readonly Regex Patterns = new(
        @"(?<![a-z0-9])[a-z0-9]{6}\.[a-z0-9]{16}(?![a-z0-9])|(?<!sha256:)(?<![0-9a-fA-F])[0-9a-fA-F]{64}(?![0-9a-fA-F])",
        RegexOptions.CultureInvariant | RegexOptions.Compiled);

    private readonly object _gate = new();
    private string[] _secrets = Array.Empty<string>();

    /// <summary>Creates a redactor that also masks <paramref name="secrets"/>.</summary>
    public Redactor(IEnumerable<string?>? secrets = null)
    {
        foreach (var s in secrets ?? Enumerable.Empty<string?>()) Add(s);
    }

    /// <summary>
    /// Registers a secret value to mask wherever it appears. Values shorter than 4 characters are not masked (doing so
    /// would garble ordinary text while hiding almost nothing).
    /// </summary>
    public void Add(string? secret)
    {
        if (secret is null || secret.Length < 4) return;
        lock (_gate)
        {
            if (_secrets.Contains(secret, StringComparer.Ordinal)) return;
            // Longest first, so a secret that contains another is masked whole.
            _secrets = _secrets.Append(secret).OrderByDescending(s => s.Length).ToArray();
        }
    }

    /// <summary>The text with every secret replaced by <see cref="Mask"/>.</summary>
    public string Redact(string? text)
    {
        if (string.IsNullOrEmpty(text)) return text ?? "";
        var result = text!;
        foreach (var secret in _secrets) result = result.Replace(secret, Mask);
        return Patterns.Replace(result, Mask);
    }
}
