/**
 * The page's own script and stylesheet (served by the bot under `/waves/assets/`, like uPlot itself: no CDN).
 * The script reads the wave's view from the page's JSON block, draws the charts with uPlot, and follows the wave
 * over server-sent events: each event carries the view and the re-rendered sections (tables and counts).
 */
export const PAGE_CSS = `
body{font-family:system-ui,sans-serif;margin:1rem 2rem;color:#111;max-width:1100px}
table{border-collapse:collapse;margin:.5rem 0 1rem}th,td{border:1px solid #999;padding:.2rem .5rem;text-align:left}
td.n,th.n{text-align:right}caption{text-align:left;font-weight:bold;padding:.3rem 0}
.charts{display:flex;flex-wrap:wrap;gap:1rem}.chart{min-height:260px}
.live{font-size:.9rem}dl.counts{display:grid;grid-template-columns:max-content max-content;gap:.1rem 1rem}
dl.counts dt{font-weight:bold}details{margin:.5rem 0}
`;

export const PAGE_JS = `
(function(){
  'use strict';
  var dataEl = document.getElementById('wave-data');
  var view = JSON.parse(dataEl.textContent);
  var charts = [];
  // Series are told apart by dash pattern and width as well as colour (works without colour).
  var S = {
    done: {label:'done', stroke:'#1f5fa8', width:3},
    inFlight: {label:'in flight', stroke:'#6b4c9a', width:2, dash:[8,4]},
    failures: {label:'platform failures', stroke:'#b3261e', width:2.5, dash:[2,3]},
    budget: {label:'budget', stroke:'#444', width:1.5, dash:[12,4,2,4]},
    perMinute: {label:'done per minute', stroke:'#1f5fa8', width:2},
    p50: {label:'patch to Ready p50 s', stroke:'#2e7d32', width:2},
    p90: {label:'patch to Ready p90 s', stroke:'#8d4a00', width:2, dash:[6,3]},
    uP50: {label:'start to result p50 s (not patched)', stroke:'#555', width:1.5, dash:[2,2]},
    uP90: {label:'start to result p90 s (not patched)', stroke:'#555', width:1.5, dash:[10,3,2,3]},
    limit: {label:'concurrency limit', stroke:'#1f5fa8', width:2.5},
    requested: {label:'requested', stroke:'#444', width:1.5, dash:[12,4]}
  };
  function stepped(s){var o={};for(var k in s)o[k]=s[k];if(uPlot.paths&&uPlot.paths.stepped)o.paths=uPlot.paths.stepped({align:1});return o}
  // The limit holds from one change to the next: the last change is drawn on to the end of the wave (or now).
  function limitCols(v){
    var h=v.limitHistory||[];
    if(!h.length) return [[],[],[]];
    var end=v.timeline.length?v.timeline[v.timeline.length-1].t:h[h.length-1].t;
    var pts=h.concat(end>h[h.length-1].t?[h[h.length-1]]:[]);
    return [pts.map(function(p,i){return i<h.length?p.t:end}),pts.map(function(p){return p.limit}),pts.map(function(p){return p.requested})];
  }
  function cols(v){
    var t=v.timeline;
    return {
      progress:[t.map(function(p){return p.t}),t.map(function(p){return p.done}),t.map(function(p){return p.inFlight}),t.map(function(p){return p.failures}),t.map(function(){return v.budget})],
      rate:[t.map(function(p){return p.t}),t.map(function(p){return p.perMinute})],
      latency:[t.map(function(p){return p.t}),t.map(function(p){return p.p50}),t.map(function(p){return p.p90}),t.map(function(p){return p.unpatchedP50}),t.map(function(p){return p.unpatchedP90})],
      limit:limitCols(v)
    };
  }
  function make(id, title, series, data){
    var el=document.getElementById(id);
    var w=Math.max(320, Math.min(1060, el.clientWidth||640));
    var u=new uPlot({title:title,width:w,height:240,series:[{}].concat(series),scales:{x:{time:true,range:function(u,min,max){return min===max?[min-60,max+60]:[min,max]}}},axes:[{},{}]}, data, el);
    el.setAttribute('data-drawn','1');
    return u;
  }
  function draw(){
    var c=cols(view);
    charts=[
      make('chart-progress','Progress: done, in flight, failures vs budget',[S.done,S.inFlight,S.failures,S.budget],c.progress),
      make('chart-rate','Runtimes done per minute',[S.perMinute],c.rate),
      make('chart-latency','Patch to Ready, seconds (p50, p90; start to result where not patched)',[S.p50,S.p90,S.uP50,S.uP90],c.latency),
      make('chart-limit','Concurrency limit (the table below gives each change and its cause)',[stepped(S.limit),stepped(S.requested)],c.limit)
    ];
  }
  function update(msg){
    view=msg.view;
    document.getElementById('sections').innerHTML=msg.html;
    var c=cols(view);
    charts[0].setData(c.progress);charts[1].setData(c.rate);charts[2].setData(c.latency);charts[3].setData(c.limit);
    document.getElementById('live').textContent='updated '+view.generatedAt+' (live)';
  }
  draw();
  var ev=dataEl.getAttribute('data-events');
  if(ev && window.EventSource){
    var es=new EventSource(ev);
    es.addEventListener('view',function(e){update(JSON.parse(e.data))});
    es.addEventListener('end',function(){es.close();document.getElementById('live').textContent='wave ended; page final';});
  }
})();
`;
