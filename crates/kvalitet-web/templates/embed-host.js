// On the page that embeds kvalitet widgets: sets each widget iframe's height to what the
// widget reports. Only messages from the iframes' own windows are believed.
(function () {
  window.addEventListener("message", function (event) {
    var data = event.data;
    if (!data || data.kvalitet !== "height" || typeof data.height !== "number") return;
    var frames = document.getElementsByTagName("iframe");
    for (var i = 0; i < frames.length; i++) {
      if (frames[i].contentWindow === event.source) {
        frames[i].style.height = Math.min(Math.max(data.height, 100), 4000) + "px";
      }
    }
  });
})();
