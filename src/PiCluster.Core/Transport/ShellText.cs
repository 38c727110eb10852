namespace PiCluster.Transport;

/// <summary>Quoting for bash text (RemoteScripts.Compose puts variables in front of a script with it).</summary>
public static class ShellText
{
    /// <summary>The value single-quoted for bash, so it is taken literally.</summary>
    public static string Quote(string value) => "'" + value.Replace("'", "'\\''") + "'";
}
