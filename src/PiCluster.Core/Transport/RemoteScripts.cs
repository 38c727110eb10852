using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Text;
using System.Text.RegularExpressions;

namespace PiCluster.Transport;

/// <summary>
/// The bash scripts that run on nodes, and the one way of composing them. Scripts live as plain files in
/// src/PiCluster.Core/Scripts (shellchecked with <c>-x</c>, so the libraries they source are checked with them) and
/// ship embedded in the assembly. A script names the libraries it needs as bash and shellcheck both read it:
/// <code>
/// # shellcheck source=prep-lib.sh
/// source prep-lib.sh
/// </code>
/// <see cref="Compose"/> replaces each such line with the library's text (itself composed the same way, each library
/// once) and puts the script's variables in front, quoted. Secrets never go in variables: they travel on
/// <see cref="RemoteCommand.Input"/>.
/// </summary>
public static class RemoteScripts
{
    private static readonly ConcurrentDictionary<string, string> Cache = new(StringComparer.Ordinal);

    // A whole line "source NAME.sh" or ". NAME.sh" (optionally ./NAME.sh): the only form a library is pulled in by.
    private static readonly Regex SourceLine = new(@"^[ \t]*(?:source|\.)[ \t]+(?:\./)?(?<name>[A-Za-z0-9_-]+)\.sh[ \t]*$",
        RegexOptions.CultureInvariant | RegexOptions.Multiline);

    /// <summary>
    /// Scripts/<paramref name="name"/>.sh ready to run: its sourced libraries inlined (each once), the
    /// <paramref name="variables"/> in front as <c>NAME='value'</c> lines. Variables are not secret: the text may show
    /// in -Verbose and logs.
    /// </summary>
    /// <exception cref="ArgumentException">No such script or library, or libraries that source each other.</exception>
    public static string Compose(string name, IReadOnlyDictionary<string, string>? variables = null) =>
        ComposeFrom(Load, name, variables);

    /// <summary><see cref="Compose"/> with scripts from <paramref name="load"/> (for tests).</summary>
    internal static string ComposeFrom(Func<string, string> load, string name, IReadOnlyDictionary<string, string>? variables = null) =>
        ComposeText(load(name), name, variables, load);

    /// <summary>
    /// Like <see cref="Compose"/>, for the few steps whose bash is still generated in C# (see the callers: each says
    /// why). <paramref name="code"/> sources its libraries the same way; values in it must be quoted with
    /// <see cref="ShellText.Quote"/>, and data (file contents) goes in <paramref name="variables"/>.
    /// </summary>
    public static string ComposeGenerated(string code, IReadOnlyDictionary<string, string>? variables = null) =>
        ComposeText(code, null, variables, Load);

    private static string ComposeText(string script, string? name, IReadOnlyDictionary<string, string>? variables, Func<string, string> load)
    {
        var text = new StringBuilder();
        if (variables is not null)
        {
            foreach (var pair in variables)
            {
                if (!Regex.IsMatch(pair.Key, "^[A-Za-z_][A-Za-z0-9_]*$", RegexOptions.CultureInvariant))
                    throw new ArgumentException($"'{pair.Key}' is not a shell variable name.", nameof(variables));
                text.Append(pair.Key).Append('=').Append(ShellText.Quote(pair.Value)).Append('\n');
            }
        }
        var composing = new List<string>();
        var included = new HashSet<string>(StringComparer.Ordinal);
        if (name is not null)
        {
            composing.Add(name);
            included.Add(name);
        }
        Inline(script, text, included, composing, load);
        return text.ToString();
    }

    private static void Inline(string script, StringBuilder text, HashSet<string> included, List<string> composing, Func<string, string> load)
    {
        var at = 0;
        foreach (Match source in SourceLine.Matches(script))
        {
            text.Append(script, at, source.Index - at);
            var library = source.Groups["name"].Value;
            if (composing.Contains(library))
                throw new ArgumentException($"Remote scripts source each other in a cycle: {string.Join(" -> ", composing)} -> {library}.");
            // A library already in the text is not repeated: its functions and settings are there.
            if (included.Add(library))
            {
                composing.Add(library);
                Inline(load(library), text, included, composing, load);
                if (text.Length > 0 && text[text.Length - 1] != '\n') text.Append('\n');
                composing.RemoveAt(composing.Count - 1);
            }
            at = source.Index + source.Length;
            if (at < script.Length && script[at] == '\n') at++;
        }
        text.Append(script, at, script.Length - at);
    }

    /// <summary>The raw text of Scripts/<paramref name="name"/>.sh, its source lines as written.</summary>
    private static string Load(string name) => Cache.GetOrAdd(name, static n =>
    {
        using var stream = typeof(RemoteScripts).Assembly.GetManifestResourceStream($"PiCluster.Scripts.{n}.sh")
            ?? throw new ArgumentException($"No remote script named '{n}'.", nameof(name));
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    });
}
