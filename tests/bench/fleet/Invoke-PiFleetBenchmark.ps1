#Requires -Version 7.4
<#
.SYNOPSIS
    The fleet benchmark (issue 14): a converged Initialize-PiNode and a Test-PiNode over the simulated fleet at several
    -ThrottleLimit values, then the same with a node that hangs. Prints figures; asserts nothing.
.DESCRIPTION
    Start it through tests/bench/fleet/fleet (or tests/bench/run fleet), which stands the fleet up. Per cmdlet and
    throttle: wall time, nodes per second, the peak resident set of this pwsh process (reset before each run through
    /proc/self/clear_refs) and its growth per node, the most open file descriptors, threads, ssh processes and
    processes in the fleet's namespace (sampled every 0.2 s by fleet-sample), how many nodes gave a result, how many
    were unchanged or passed every check, errors, and SSH connections and round trips per node (the -Verbose cost line).
    With -Hang: one run of each cmdlet over every node, hung ones included, with when the others' results arrived and
    when, and how, the hung node failed. -Json writes all figures to a file (the smoke test reads it).
#>
param(
    [Parameter(Mandatory)] [string] $ClusterFile,
    [Parameter(Mandatory)] [string] $Sampler,
    [string[]] $ThrottleLimit = @(10, 50, 200), # "10,50" from bash: pwsh -File reads "10,50" as the number 1050 for [int[]]
    [string[]] $Hang = @(),
    [int] $HangThrottleLimit = 50,
    [string] $Json
)
$ErrorActionPreference = 'Stop'
$Hang = @($Hang | ForEach-Object { $_ -split ',' } | Where-Object { $_ })
$ThrottleLimit = @($ThrottleLimit | ForEach-Object { "$_" -split ',' } | ForEach-Object { [int]$_ })
Import-Module (Join-Path $PSScriptRoot '../../../PiCluster.psd1')
$all = @(Get-PiNode -Path $ClusterFile)
$healthy = @($all | Where-Object Name -notin $Hang | ForEach-Object Name)
$rows = [Collections.Generic.List[object]]::new()

function Get-KiB([string] $Field) {
    [long]((Select-String -Path /proc/self/status -Pattern "^${Field}:\s+(\d+)").Matches[0].Groups[1].Value)
}

# "1-3" (fewest-most over nodes), "3" when all equal, "" when nothing was counted.
function Format-Range([int[]] $Values) {
    if (-not $Values) { return '' }
    $m = $Values | Measure-Object -Minimum -Maximum
    if ($m.Minimum -eq $m.Maximum) { "$($m.Minimum)" } else { "$($m.Minimum)-$($m.Maximum)" }
}

# Runs one cmdlet over the named nodes; every output, error and verbose record is timed as it arrives.
function Measure-FleetRun([string] $Cmdlet, [string[]] $Names, [int] $Throttle) {
    [GC]::Collect()
    [IO.File]::WriteAllText('/proc/self/clear_refs', '5') # resets VmHWM, the peak resident set, to the current one
    $rssBefore = Get-KiB VmRSS
    $start = [Diagnostics.ProcessStartInfo]::new($Sampler, "$PID")
    $start.RedirectStandardInput = $true; $start.RedirectStandardOutput = $true; $start.UseShellExecute = $false
    $sampler = [Diagnostics.Process]::Start($start)
    $arrivals = [Collections.Generic.List[object]]::new()
    $clock = [Diagnostics.Stopwatch]::StartNew()
    & $Cmdlet -Path $ClusterFile -Name $Names -ThrottleLimit $Throttle -Verbose -ErrorAction Continue 2>&1 4>&1 |
        ForEach-Object { $arrivals.Add([pscustomobject]@{ Seconds = $clock.Elapsed.TotalSeconds; Record = $_ }) }
    $seconds = $clock.Elapsed.TotalSeconds
    $sampler.StandardInput.Close()
    $peak = $sampler.StandardOutput.ReadToEnd() | ConvertFrom-Json
    $sampler.WaitForExit()
    $records = @($arrivals | ForEach-Object Record)
    $errors = @($records | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] })
    $objects = @($records | Where-Object { $_.PSObject.Properties['Node'] -and $_ -isnot [System.Management.Automation.ErrorRecord] })
    $costs = foreach ($v in $records | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }) {
        if ($v.Message -match '^(\S+): (\d+) connections?, (\d+) round trips?$') { [pscustomobject]@{ Connections = [int]$Matches[2]; RoundTrips = [int]$Matches[3] } }
    }
    $byNode = $objects | Group-Object { $_.Node.Name }
    $good = if ($Cmdlet -eq 'Test-PiNode') { @($byNode | Where-Object { -not ($_.Group | Where-Object Passed -eq $false) }).Count }
            else { @($objects | Where-Object { "$($_.Status)" -eq 'Unchanged' }).Count }
    [pscustomobject]@{
        Cmdlet = $Cmdlet; Throttle = $Throttle; Nodes = $Names.Count
        Seconds = [math]::Round($seconds, 2); NodesPerSecond = [math]::Round($Names.Count / $seconds, 1)
        PeakRssMiB = [math]::Round($peak.hwmKiB / 1024, 1); RssPerNodeKiB = [math]::Round(($peak.hwmKiB - $rssBefore) / $Names.Count, 1)
        MaxFds = $peak.fds; MaxThreads = $peak.threads; MaxSsh = $peak.ssh; MaxProcesses = $peak.processes
        Results = $byNode.Count; Good = $good; Errors = $errors.Count
        ConnPerNode = Format-Range @($costs | ForEach-Object Connections); RtPerNode = Format-Range @($costs | ForEach-Object RoundTrips)
        ErrorMessages = @($errors | Select-Object -First 5 | ForEach-Object { "$($_.FullyQualifiedErrorId): $_" })
        Arrivals = $arrivals; ErrorRecords = $errors
    }
}

# Warm up (JIT, first ssh), so the first measured throttle pays nothing the others do not.
Measure-FleetRun Initialize-PiNode @($healthy[0]) 1 | Out-Null
Measure-FleetRun Test-PiNode @($healthy[0]) 1 | Out-Null

foreach ($throttle in $ThrottleLimit) {
    foreach ($cmdlet in 'Initialize-PiNode', 'Test-PiNode') {
        $row = Measure-FleetRun $cmdlet $healthy $throttle
        $rows.Add($row)
        Write-Host ('{0} -ThrottleLimit {1}: {2} nodes in {3:0.00} s, {4} results, {5} errors' -f $cmdlet, $throttle, $row.Nodes, $row.Seconds, $row.Results, $row.Errors)
        foreach ($e in $row.ErrorRecords | Select-Object -First 3) { Write-Host "  error: $($e.FullyQualifiedErrorId): $e" }
    }
}
$columns = 'Cmdlet', 'Throttle', 'Nodes', 'Seconds', 'NodesPerSecond', 'PeakRssMiB', 'RssPerNodeKiB', 'MaxFds', 'MaxThreads', 'MaxSsh', 'MaxProcesses', 'Results', 'Good', 'Errors', 'ConnPerNode', 'RtPerNode'
$rows | Format-Table -Property $columns -AutoSize | Out-String -Width 250 | Write-Host

# A hung node among the others: their results must not wait for it, and it must fail with its timeout.
$hangRuns = foreach ($cmdlet in @(if ($Hang) { 'Initialize-PiNode', 'Test-PiNode' })) {
    $run = Measure-FleetRun $cmdlet @($all.Name) $HangThrottleLimit
    $others = @($run.Arrivals | Where-Object { $_.Record.PSObject.Properties['Node'] -and $_.Record -isnot [System.Management.Automation.ErrorRecord] -and $_.Record.Node.Name -notin $Hang })
    # When each other node's first result arrived (Test-PiNode's checks across nodes come after every node, by design).
    $firstPerNode = @($others | Group-Object { $_.Record.Node.Name } | ForEach-Object { ($_.Group | Measure-Object Seconds -Minimum).Minimum })
    $lastOther = ($firstPerNode | Measure-Object -Maximum).Maximum
    $hung = foreach ($name in $Hang) {
        $failure = $run.Arrivals | Where-Object { $_.Record -is [System.Management.Automation.ErrorRecord] -and $_.Record.TargetObject.Name -eq $name } | Select-Object -First 1
        # When its turn came (the first -Verbose line that names it): the timeout runs from there.
        $started = $run.Arrivals | Where-Object { $_.Record -is [System.Management.Automation.VerboseRecord] -and $_.Record.Message.StartsWith("${name}: ") } | Select-Object -First 1
        # When the command that hung was sent: the last -Verbose line that names it before the failure (connecting,
        # which has a limit of its own, comes before).
        $sent = $run.Arrivals | Where-Object { $_.Record -is [System.Management.Automation.VerboseRecord] -and $_.Record.Message.StartsWith("${name}: ") -and (-not $failure -or $_.Seconds -le $failure.Seconds) } | Select-Object -Last 1
        [pscustomobject]@{
            Node = $name; StartedSeconds = if ($started) { [math]::Round($started.Seconds, 2) } else { $null }
            CommandSentSeconds = if ($sent) { [math]::Round($sent.Seconds, 2) } else { $null }; CommandSent = if ($sent) { $sent.Record.Message } else { '' }
            FailedAfterSeconds = if ($failure) { [math]::Round($failure.Seconds, 2) } else { $null }
            ErrorId = if ($failure) { $failure.Record.FullyQualifiedErrorId } else { '' }; Message = if ($failure) { "$($failure.Record)" } else { 'no error' }
            ResultObjects = @($run.Arrivals | Where-Object { $_.Record.PSObject.Properties['Node'] -and $_.Record -isnot [System.Management.Automation.ErrorRecord] -and $_.Record.Node.Name -eq $name }).Count
        }
    }
    $summary = [pscustomobject]@{
        Cmdlet = $cmdlet; Throttle = $HangThrottleLimit; Nodes = $all.Count; Seconds = $run.Seconds
        OtherNodesWithResults = $firstPerNode.Count
        LastOtherResultSeconds = [math]::Round($lastOther, 2); OtherErrors = @($run.ErrorRecords | Where-Object { $_.TargetObject.Name -notin $Hang }).Count
        Hung = @($hung)
    }
    Write-Host ('{0} with {1} hung, -ThrottleLimit {2}: each of the other {3} nodes had its first result by {4:0.00} s ({5} errors); the run ended at {6:0.00} s' -f `
        $cmdlet, ($Hang -join ', '), $HangThrottleLimit, $summary.OtherNodesWithResults, $lastOther, $summary.OtherErrors, $run.Seconds)
    foreach ($h in $hung) { Write-Host ("  {0}: its turn came at {1} s, '{2}' at {3} s, it failed at {4} s: {5}: {6}" -f $h.Node, $h.StartedSeconds, $h.CommandSent, $h.CommandSentSeconds, $h.FailedAfterSeconds, $h.ErrorId, $h.Message) }
    $summary
}

if ($Json) {
    [pscustomobject]@{ Date = [DateTime]::UtcNow.ToString('u'); Rows = @($rows | Select-Object -Property ($columns + 'ErrorMessages')); HangRuns = @($hangRuns) } |
        ConvertTo-Json -Depth 5 | Set-Content -Path $Json
}
