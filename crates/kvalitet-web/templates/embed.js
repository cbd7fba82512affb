// kvalitet's embed widget tells the page around it how tall it is, so the iframe can fit it
// (the host page loads embed-host.js, which listens). Without either script the iframe keeps
// the height its code gives.
(function () {
  function send() {
    var height = document.documentElement.scrollHeight;
    window.parent.postMessage({ kvalitet: "height", height: height, src: location.href }, "*");
  }
  window.addEventListener("load", send);
  window.addEventListener("resize", send);
})();
