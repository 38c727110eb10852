#Requires -Version 7.4
<#
.SYNOPSIS
    The demo's PowerShell part (tests/lab/demo runs it): Deploy-PiCluster on the lab's three nodes, its summary, then
    Test-PiCluster as a table. Exits 1 when the deploy or a check fails.
.PARAMETER State
    The lab's state dir: cluster.yaml, nodes.json (the forwarded API port); the kubeconfig is written there.
#>
param([Parameter(Mandatory)] [string] $State)
$ErrorActionPreference = 'Stop'
# Piped into a log (demo | tee): plain text, no colour codes.
if ([Console]::IsOutputRedirected) { $PSStyle.OutputRendering = 'PlainText' }
Import-Module (Join-Path $PSScriptRoot '../../PiCluster.psd1')

$cluster = Join-Path $State 'cluster.yaml'
$kubeconfig = Join-Path $State 'kubeconfig'
$apiPort = (Get-Content -Raw (Join-Path $State 'nodes.json') | ConvertFrom-Json).apiPort
$deploy = @{
    Path              = $cluster
    KubeconfigPath    = $kubeconfig
    # The control plane's 6443 as the lab forwards it to this machine (its certificate names 127.0.0.1).
    Server            = "https://127.0.0.1:$apiPort"
    # The lab's SNTP server; public servers are neither reachable nor allowed from the nodes.
    NtpServer         = '10.0.2.2'
    FallbackNtpServer = @()
    # A reboot under emulation on a loaded host has taken 6 minutes (boards take well under the default 5).
    RebootTimeout     = 900
}

# The command line as run, from the same settings (an empty list shows as @()).
Write-Host ('Deploy-PiCluster ' + (($deploy.GetEnumerator() | Sort-Object Key | ForEach-Object {
    "-$($_.Key) $(if (@($_.Value).Count) { @($_.Value) -join ',' } else { '@()' })" }) -join ' '))
# Each step's result shows as it finishes; errors are reported and counted, not stopped at: the summary says it all.
$summary = $null
Deploy-PiCluster @deploy -ErrorAction Continue -ErrorVariable deployErrors | ForEach-Object {
    if ($_.GetType().FullName -eq 'PiCluster.Deploy.DeployResult') { $summary = $_ } else { $_ }
} | Out-Host
if (-not $summary) { Write-Host 'Deploy-PiCluster ended without a summary'; exit 1 }
$summary | Format-List | Out-Host
$summary.Nodes | Format-Table | Out-Host

Write-Host "Test-PiCluster -Path $cluster -KubeconfigPath $kubeconfig"
$checks = @(Test-PiCluster -Path $cluster -KubeconfigPath $kubeconfig -ErrorAction Continue -ErrorVariable checkErrors)
$checks | Format-Table @{ Label = 'Node'; Expression = { $_.Node.Name } }, Check, Passed, Severity, Detail -AutoSize -Wrap | Out-Host
$failed = @($checks | Where-Object -Not Passed)

if (-not $summary.Succeeded -or $deployErrors -or $failed -or $checkErrors -or -not $checks) {
    Write-Host ("FAILED: deploy {0}, {1} error(s); {2} of {3} check(s) failed" -f
        ($(if ($summary.Succeeded) { 'succeeded' } else { 'failed' })), $deployErrors.Count, $failed.Count, $checks.Count)
    exit 1
}
Write-Host "Deploy-PiCluster succeeded in $('{0:N0}' -f $summary.Duration.TotalSeconds) s; all $($checks.Count) checks passed"
exit 0
